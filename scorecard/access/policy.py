"""Who may see and change what: roles, region/team scopes, and the filters a scope forces.

Pure: no Streamlit, no database. The dashboard turns the signed-in person (`st.user`) into
a `Principal` with `principal_for`; every query the dashboard runs passes its filters
through `narrow`, which adds the person's scope and refuses values outside it, so a
team lead scoped to EMEA sees EMEA rows on every page, in every filter, download and
SQL listing. `can` answers the permission questions (edit definitions, write notes,
import data, manage access).

The access file (YAML; `$SCORECARD_ACCESS`, else `access.yaml` next to metrics.yaml):

    version: 1
    users:
      - {email: admin@example.com, role: admin}
      - {email: ana@example.com, role: analyst}
      - {email: lena@example.com, role: team_lead, scope: {region: [EMEA]}}
      - {email: "*@example.com", role: executive}      # everyone else at example.com

The most specific entry wins: an exact address, then its domain (`*@example.com`, that
domain only, not its subdomains), then `*` (anyone the identity provider signs in).
Nobody else gets in.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast, get_args

from scorecard.language.yamlsource import Issue, IssuesError, SourceDoc, YamlError, load_file, load_text
from scorecard.sql.query import Query

Role = Literal["executive", "team_lead", "analyst", "admin"]
"""What a person does with the scorecard; the access file gives each person one."""

Permission = Literal["view", "edit_definitions", "edit_notes", "import_data", "manage_access"]
"""What a page may let a person do."""

Mode = Literal["local", "signed_in"]
"""Local: no sign-in configured, one person at the machine. Signed in: through the identity provider."""

ROLES: Final[tuple[Role, ...]] = get_args(Role)
PERMISSIONS: Final[tuple[Permission, ...]] = get_args(Permission)

GRANTS: Final[Mapping[Role, frozenset[Permission]]] = {
    "executive": frozenset({"view"}),
    "team_lead": frozenset({"view"}),
    "analyst": frozenset({"view", "edit_definitions", "edit_notes"}),
    "admin": frozenset({"view", "edit_definitions", "edit_notes", "import_data", "manage_access"}),
}
"""Role -> what it may do. Only analysts and admins edit definitions and notes; only admins
import data and manage access."""

SCOPABLE: Final[frozenset[Role]] = frozenset({"executive", "team_lead"})
"""Roles that may be limited to some regions or teams. Analysts and admins see every row:
they edit the definitions and the data everyone reads."""

ROLE_LABELS: Final[Mapping[Role, str]] = {
    "executive": "Executive",
    "team_lead": "Team lead",
    "analyst": "Analyst",
    "admin": "Admin",
}

_EMAIL: Final = re.compile(r"^[^@\s*]+@[^@\s*]+\.[^@\s*]+$")
_DOMAIN_WILDCARD: Final = re.compile(r"^\*@[^@\s*]+\.[^@\s*]+$")
_TOP_KEYS: Final = ("version", "users")
_USER_KEYS: Final = ("email", "role", "scope", "name")

_Problem = Callable[[tuple[str | int, ...], str], None]

Scope = tuple[tuple[str, tuple[str, ...]], ...]
"""Dimension -> the only values a person may see, sorted (hashable; empty means every row)."""


class AccessError(IssuesError):
    """The access file has problems; `issues` lists every one with its line."""


class AccessDenied(Exception):
    """A person may not do or see what was asked; the message says what and what to do."""


@dataclass(frozen=True)
class Rule:
    """One entry of the access file: who (an address, `*@domain` or `*`), their role and scope."""

    pattern: str
    role: Role
    scope: Scope = ()
    line: int = 0

    @property
    def specificity(self) -> int:
        """An exact address (2) beats a domain wildcard (1), which beats `*` (0)."""
        if self.pattern == "*":
            return 0
        return 1 if self.pattern.startswith("*@") else 2

    def matches(self, email: str) -> bool:
        email = email.lower()
        if self.pattern == "*":
            return True
        if self.pattern.startswith("*@"):
            return email.rpartition("@")[2] == self.pattern[2:]
        return email == self.pattern


@dataclass(frozen=True)
class AccessPolicy:
    """Every rule of one access file, as loaded and checked."""

    path: str
    rules: tuple[Rule, ...]

    def rule_for(self, email: str) -> Rule | None:
        """The most specific rule matching an address, or None if none does."""
        found = [rule for rule in self.rules if rule.matches(email)]
        return max(found, key=lambda rule: rule.specificity) if found else None


@dataclass(frozen=True)
class Principal:
    """The person using the scorecard now: who, how they got in, their role and scope."""

    name: str
    role: Role
    mode: Mode
    email: str | None = None
    scope: Scope = ()

    @property
    def user_name(self) -> str:
        """What imports, saves and notes record as their author."""
        return self.email or self.name

    @property
    def scoped(self) -> bool:
        return bool(self.scope)

    @property
    def scope_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.scope)

    def describe(self) -> str:
        """One line: `lena@example.com · Team lead · Region: EMEA`."""
        parts = [self.user_name, ROLE_LABELS[self.role]]
        if self.scope:
            parts.append(scope_text(self.scope))
        return " · ".join(parts)


def scope_text(scope: Scope, labels: Mapping[str, str] | None = None) -> str:
    """`Region: EMEA, APAC; Team: sales`."""
    labels = labels or {}
    return "; ".join(f"{labels.get(dim, dim.capitalize())}: {', '.join(values)}" for dim, values in scope)


# --- permissions ---------------------------------------------------------------------------------


def can(principal: Principal | None, permission: Permission) -> bool:
    """Whether a person may do something (None, nobody signed in, may do nothing)."""
    if principal is None:
        return False
    return permission in GRANTS[principal.role]


def require(principal: Principal | None, permission: Permission) -> None:
    """Raise AccessDenied, saying who may, unless the person may do this."""
    if can(principal, permission):
        return
    allowed = [ROLE_LABELS[role].lower() + "s" for role in ROLES if permission in GRANTS[role]]
    who = principal.describe() if principal else "Nobody is signed in"
    raise AccessDenied(
        f"{who}: only {' and '.join(allowed)} may {_ACTIONS[permission]}. "
        "Ask an admin to change your role in the access file if you need to."
    )


_ACTIONS: Final[Mapping[Permission, str]] = {
    "view": "see the scorecard",
    "edit_definitions": "edit metric definitions",
    "edit_notes": "write notes",
    "import_data": "import data",
    "manage_access": "manage access",
}


# --- who is who ----------------------------------------------------------------------------------


def local_principal(user: str) -> Principal:
    """The one person of a dashboard without sign-in (it listens on localhost only): full rights.

    Anyone at the machine can already edit metrics.yaml and the database files directly,
    so withholding rights in the dashboard would protect nothing.
    """
    return Principal(name=user or "local user", role="admin", mode="local")


def principal_for(
    policy: AccessPolicy, email: str | None, name: str | None = None, email_verified: bool | None = None
) -> Principal:
    """The signed-in person's role and scope from the access file; AccessDenied if they have none."""
    if not email or not _EMAIL.match(email.strip()):
        raise AccessDenied(
            "Your identity provider did not send an email address, so your access cannot be looked up. "
            "Ask an admin to add the `email` scope to the sign-in configuration."
        )
    email = email.strip().lower()
    if email_verified is False:
        raise AccessDenied(
            f"{email} is not verified by your identity provider. Verify the address there, then sign in again."
        )
    rule = policy.rule_for(email)
    if rule is None:
        raise AccessDenied(
            f"{email} is not in the access list. Ask an admin to add you to {Path(policy.path).name}."
        )
    return Principal(name=name or email, role=rule.role, mode="signed_in", email=email, scope=rule.scope)


# --- scope -----------------------------------------------------------------------------------------


def narrow(principal: Principal | None, filters: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The filters a query runs with for this person: theirs, plus their scope.

    A scoped dimension left open becomes the scope; values asked for outside the scope are
    refused (AccessDenied), never silently dropped, so a shared link cannot widen a view.
    """
    out = {dim: sorted(set(map(str, values))) for dim, values in filters.items() if values}
    if principal is None:
        raise AccessDenied("Nobody is signed in. Sign in to see the scorecard.")
    for dim, allowed in principal.scope:
        asked = out.get(dim)
        if not asked:
            out[dim] = list(allowed)
            continue
        outside = [value for value in asked if value not in allowed]
        if outside:
            raise AccessDenied(
                f"{', '.join(outside)} is outside your access ({scope_text(((dim, allowed),))}). "
                "Clear that filter, or ask an admin to widen your scope."
            )
    return out


def narrow_query(principal: Principal | None, query: Query) -> Query:
    """A query with the person's scope in its filters (see `narrow`)."""
    filters = narrow(principal, query.filter_map)
    return dataclasses.replace(query, filters=Query.build((), filters=filters).filters)


def visible_values(principal: Principal | None, dimension: str, values: Sequence[str]) -> list[str]:
    """The values of a dimension this person may pick: all of them, or those in their scope."""
    if principal is None:
        return []
    allowed = principal.scope_map.get(dimension)
    return list(values) if allowed is None else [value for value in values if value in allowed]


def mail_problems(
    policy: AccessPolicy, recipients: Sequence[str], filters: Mapping[str, Sequence[str]]
) -> list[str]:
    """Why a scorecard under `filters` may not be e-mailed to these recipients, one line each: an
    address the access file does not list, or a person the filters would show rows outside their
    scope (send them their own view: `report --as ADDRESS`, `access.narrow`)."""
    problems: list[str] = []
    for email in recipients:
        try:
            person = principal_for(policy, email)
        except AccessDenied as exc:
            problems.append(f"{email}: {exc}")
            continue
        for dim, allowed in person.scope:
            asked = [str(v) for v in filters.get(dim, ())]
            outside = [v for v in asked if v not in allowed]
            if not asked or outside:
                shown = f"{dim} {', '.join(outside)}" if outside else f"every {dim}"
                problems.append(
                    f"{person.user_name} may see only {scope_text(person.scope)}, but this scorecard shows {shown}; "
                    f"send them their own view (--as {person.user_name})"
                )
                break
    return problems


def scope_problems(principal: Principal, dimensions: Collection[str]) -> list[str]:
    """Scope dimensions the catalog does not have (a person so scoped must see nothing)."""
    return [
        f"scope dimension {dim!r} is not a dimension of the catalog ({', '.join(sorted(dimensions))})"
        for dim, _ in principal.scope
        if dim not in dimensions
    ]


# --- the access file ---------------------------------------------------------------------------------


def load_policy(path: str | Path) -> AccessPolicy:
    """Read and check an access file; AccessError lists every problem with its line."""
    try:
        doc = load_file(path)
    except YamlError as exc:
        raise AccessError([exc.issue]) from None
    return _policy(doc)


def parse_policy(text: str, file: str = "access.yaml") -> AccessPolicy:
    """Check access-file text (as `load_policy`)."""
    try:
        doc = load_text(text, file)
    except YamlError as exc:
        raise AccessError([exc.issue]) from None
    return _policy(doc)


def _policy(doc: SourceDoc) -> AccessPolicy:
    issues: list[Issue] = []

    def problem(path: tuple[str | int, ...], message: str) -> None:
        issues.append(Issue(doc.file, doc.line(path), message))

    for key_path, line in doc.duplicate_keys:
        issues.append(Issue(doc.file, line, f"{'.'.join(map(str, key_path))} is given twice"))
    data = doc.data
    if not isinstance(data, Mapping):
        problem((), "the access file must be a mapping with `version: 1` and `users:` (a list)")
        raise AccessError(issues)
    for key in data:
        if key not in _TOP_KEYS:
            problem((str(key),), f"unknown key {key!r}; the access file has {', '.join(_TOP_KEYS)}")
    if data.get("version", 1) != 1:
        problem(("version",), "version must be 1")
    users = data.get("users")
    if not isinstance(users, list) or not users:
        problem(("users",), "users must be a non-empty list of {email, role, scope} entries")
        raise AccessError(issues)
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(users):
        where: tuple[str | int, ...] = ("users", i)
        if not isinstance(entry, Mapping):
            problem(where, "each user is a mapping like {email: ana@example.com, role: analyst}")
            continue
        for key in entry:
            if key not in _USER_KEYS:
                problem((*where, str(key)), f"unknown key {key!r}; a user has {', '.join(_USER_KEYS)}")
        rule = _rule(entry, where, doc, problem)
        if rule is None:
            continue
        if rule.pattern in seen:
            problem(where, f"{rule.pattern} is already listed on line {seen[rule.pattern]}; keep one entry")
            continue
        seen[rule.pattern] = rule.line
        rules.append(rule)
    if issues:
        raise AccessError(issues)
    return AccessPolicy(doc.file, tuple(rules))


def _rule(entry: Mapping[str, object], where: tuple[str | int, ...], doc: SourceDoc, problem: _Problem) -> Rule | None:
    email = entry.get("email")
    role = entry.get("role")
    ok = True
    if not isinstance(email, str) or not email.strip():
        problem((*where, "email"), "email is missing: an address, `*@example.com` for a domain, or `*` for anyone")
        ok = False
    else:
        email = email.strip().lower()
        if not (email == "*" or _EMAIL.match(email) or _DOMAIN_WILDCARD.match(email)):
            problem(
                (*where, "email"),
                f"{email!r} is not an address, a domain wildcard (`*@example.com`) or `*`",
            )
            ok = False
    if role not in ROLES:
        problem((*where, "role"), f"role {role!r} is not one of {', '.join(ROLES)}")
        ok = False
    scope = entry.get("scope")
    parsed: Scope = ()
    if scope is not None:
        if not isinstance(scope, Mapping) or not scope:
            problem((*where, "scope"), "scope maps dimensions to their allowed values, e.g. {region: [EMEA]}")
            ok = False
        else:
            pairs: list[tuple[str, tuple[str, ...]]] = []
            for dim, values in scope.items():
                if isinstance(values, str | int | float) and not isinstance(values, bool):
                    values = [values]
                if not isinstance(values, list) or not values or not all(
                    isinstance(v, str | int | float) and not isinstance(v, bool) for v in values
                ):
                    problem((*where, "scope", str(dim)), f"scope {dim}: give a list of values, e.g. [EMEA, APAC]")
                    ok = False
                    continue
                pairs.append((str(dim), tuple(sorted({str(v) for v in values}))))
            parsed = tuple(sorted(pairs))
        if ok and role not in SCOPABLE:
            problem(
                (*where, "scope"),
                f"{'an' if str(role)[0] in 'aeiou' else 'a'} {role} sees every row (they edit what everyone reads); "
                "give this person the team_lead or executive role, or remove the scope",
            )
            ok = False
    if not ok:
        return None
    assert isinstance(email, str)
    return Rule(pattern=email, role=cast(Role, role), scope=parsed, line=doc.line(where))


