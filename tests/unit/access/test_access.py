"""The access module: who matches which entry, what each role may do, and how a scope narrows filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scorecard.access import policy as access
from scorecard.access.policy import AccessDenied, AccessError, Principal
from scorecard.language import periods as cal
from scorecard.language.settings import Calendar
from scorecard.sql.query import Query

POLICY = """\
version: 1
users:
  - {email: Admin@Example.com, role: admin}
  - {email: ana@example.com, role: analyst}
  - email: lena@example.com
    role: team_lead
    scope: {region: [EMEA, APAC], team: sales}
  - {email: "*@example.com", role: executive}
  - {email: "*@partner.org", role: team_lead, scope: {channel: [partner]}}
"""


@pytest.fixture
def policy() -> access.AccessPolicy:
    return access.parse_policy(POLICY, "access.yaml")


def test_exact_address_beats_its_domain_and_case_does_not_matter(policy: access.AccessPolicy) -> None:
    admin = access.principal_for(policy, "ADMIN@example.COM", "Ada")
    assert (admin.role, admin.email, admin.name, admin.scope) == ("admin", "admin@example.com", "Ada", ())
    assert access.principal_for(policy, "ana@example.com").role == "analyst"
    assert access.principal_for(policy, "someone@example.com").role == "executive"


def test_domain_wildcard_matches_that_domain_only(policy: access.AccessPolicy) -> None:
    with pytest.raises(AccessDenied, match="not in the access list"):
        access.principal_for(policy, "eve@evil-example.com")
    with pytest.raises(AccessDenied, match="not in the access list"):
        access.principal_for(policy, "eve@sub.example.com")
    with pytest.raises(AccessDenied, match="not in the access list"):
        access.principal_for(policy, "example.com@evil.org")


def test_star_lets_anyone_in_but_only_below_more_specific_entries() -> None:
    policy = access.parse_policy("users:\n  - {email: '*', role: executive}\n  - {email: a@b.co, role: admin}\n")
    assert access.principal_for(policy, "x@y.zz").role == "executive"
    assert access.principal_for(policy, "a@b.co").role == "admin"


def test_a_scope_is_kept_sorted_and_a_single_value_is_a_list(policy: access.AccessPolicy) -> None:
    lena = access.principal_for(policy, "lena@example.com")
    assert lena.scope == (("region", ("APAC", "EMEA")), ("team", ("sales",)))
    assert lena.describe() == "lena@example.com · Team lead · Region: APAC, EMEA; Team: sales"


def test_missing_or_unverified_email_is_refused(policy: access.AccessPolicy) -> None:
    with pytest.raises(AccessDenied, match="did not send an email"):
        access.principal_for(policy, None)
    with pytest.raises(AccessDenied, match="not verified"):
        access.principal_for(policy, "ana@example.com", email_verified=False)
    assert access.principal_for(policy, "ana@example.com", email_verified=True).role == "analyst"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("executive", {"view"}),
        ("team_lead", {"view"}),
        ("analyst", {"view", "edit_definitions", "edit_notes"}),
        ("admin", {"view", "edit_definitions", "edit_notes", "import_data", "manage_access"}),
    ],
)
def test_what_each_role_may_do(role: access.Role, allowed: set[str]) -> None:
    person = Principal(name="p", role=role, mode="signed_in", email="p@x.io")
    assert {p for p in access.PERMISSIONS if access.can(person, p)} == allowed
    for permission in access.PERMISSIONS:
        if permission in allowed:
            access.require(person, permission)
        else:
            with pytest.raises(AccessDenied, match="Ask an admin"):
                access.require(person, permission)


def test_nobody_may_do_anything() -> None:
    assert not any(access.can(None, p) for p in access.PERMISSIONS)
    with pytest.raises(AccessDenied, match="Nobody is signed in"):
        access.narrow(None, {})
    assert access.visible_values(None, "region", ["EMEA"]) == []


def test_local_mode_is_one_person_with_full_rights() -> None:
    me = access.local_principal("jo")
    assert (me.mode, me.role, me.user_name, me.scope) == ("local", "admin", "jo", ())
    assert all(access.can(me, p) for p in access.PERMISSIONS)


def test_narrow_adds_the_scope_keeps_choices_inside_it_and_refuses_the_rest(policy: access.AccessPolicy) -> None:
    lena = access.principal_for(policy, "lena@example.com")
    assert access.narrow(lena, {}) == {"region": ["APAC", "EMEA"], "team": ["sales"]}
    assert access.narrow(lena, {"region": ["EMEA"], "product": ["Core"]}) == {
        "region": ["EMEA"],
        "product": ["Core"],
        "team": ["sales"],
    }
    with pytest.raises(AccessDenied, match=r"NA is outside your access \(Region: APAC, EMEA\)"):
        access.narrow(lena, {"region": ["EMEA", "NA"]})
    with pytest.raises(AccessDenied, match="marketing is outside"):
        access.narrow(lena, {"team": ["marketing"]})
    # An unscoped person's filters pass unchanged (empty choices dropped).
    ana = access.principal_for(policy, "ana@example.com")
    assert access.narrow(ana, {"region": ["NA"], "team": []}) == {"region": ["NA"]}


def test_narrow_query_puts_the_scope_into_the_query(policy: access.AccessPolicy) -> None:
    lena = access.principal_for(policy, "lena@example.com")
    week = cal.parse_week(Calendar(), "2026-W10")
    query = Query.build((week,), group_by=["product"], filters={"region": ["EMEA"]}, as_of=dt.datetime(2026, 3, 9))
    scoped = access.narrow_query(lena, query)
    assert scoped.filters == (("region", ("EMEA",)), ("team", ("sales",)))
    assert (scoped.periods, scoped.group_by, scoped.as_of) == (query.periods, query.group_by, query.as_of)


def test_visible_values_and_scope_problems(policy: access.AccessPolicy) -> None:
    partner = access.principal_for(policy, "pat@partner.org")
    assert access.visible_values(partner, "channel", ["direct", "partner"]) == ["partner"]
    assert access.visible_values(partner, "region", ["EMEA", "NA"]) == ["EMEA", "NA"]
    assert access.scope_problems(partner, {"region", "channel"}) == []
    assert access.scope_problems(partner, {"region"}) == [
        "scope dimension 'channel' is not a dimension of the catalog (region)"
    ]


BAD = [
    ("users: []\n", 1, "users must be a non-empty list"),
    ("- a\n", 1, "must be a mapping"),
    ("version: 2\nusers:\n  - {email: a@b.co, role: admin}\n", 1, "version must be 1"),
    ("users:\n  - {email: a@b.co, role: boss}\n", 2, "role 'boss' is not one of executive, team_lead, analyst, admin"),
    ("users:\n  - {email: 'a@*.co', role: admin}\n", 2, "is not an address, a domain wildcard"),
    ("users:\n  - {email: '*example.com', role: admin}\n", 2, "is not an address"),
    ("users:\n  - {role: admin}\n", 2, "email is missing"),
    ("users:\n  - {email: a@b.co, role: admin, rights: all}\n", 2, "unknown key 'rights'"),
    ("users:\n  - {email: a@b.co, role: analyst, scope: {region: [EMEA]}}\n", 2, "an analyst sees every row"),
    ("users:\n  - {email: a@b.co, role: team_lead, scope: {region: []}}\n", 2, "give a list of values"),
    ("users:\n  - {email: a@b.co, role: team_lead, scope: [EMEA]}\n", 2, "scope maps dimensions"),
    ("users:\n  - {email: a@b.co, role: admin}\n  - {email: A@b.co, role: executive}\n", 3, "already listed on line 2"),
    ("users:\n  - {email: a@b.co, role: admin}\nusers: []\n", 3, "users is given twice"),
    ("users: [\n", 2, "YAML syntax"),
    ("", 1, "the file is empty"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_a_bad_access_file_names_its_line_and_what_to_fix(text: str, line: int, message: str) -> None:
    with pytest.raises(AccessError) as caught:
        access.parse_policy(text, "conf/access.yaml")
    assert any(issue.line == line and message in issue.message for issue in caught.value.issues), caught.value.issues
    assert all(str(issue).startswith("conf/access.yaml:") for issue in caught.value.issues)


def test_every_problem_is_reported_at_once() -> None:
    text = "users:\n  - {email: x, role: admin}\n  - {email: b@c.io, role: nobody}\n"
    with pytest.raises(AccessError) as caught:
        access.parse_policy(text)
    assert [issue.line for issue in caught.value.issues] == [2, 3]


def test_load_policy_reads_a_file_and_reports_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "access.yaml"
    path.write_text(POLICY, encoding="utf-8")
    assert len(access.load_policy(path).rules) == 5
    with pytest.raises(AccessError, match="file not found"):
        access.load_policy(tmp_path / "nope.yaml")


def test_mail_problems_keep_a_scorecard_from_people_it_would_show_too_much(policy: access.AccessPolicy) -> None:
    everyone = ["admin@example.com", "lena@example.com", "ceo@example.com", "x@nowhere.io"]
    assert access.mail_problems(policy, everyone, {}) == [
        "lena@example.com may see only Region: APAC, EMEA; Team: sales, but this scorecard shows every region; "
        "send them their own view (--as lena@example.com)",
        "x@nowhere.io: x@nowhere.io is not in the access list. Ask an admin to add you to access.yaml.",
    ]
    assert access.mail_problems(policy, ["lena@example.com"], {"region": ["EMEA", "NA"], "team": ["sales"]}) == [
        "lena@example.com may see only Region: APAC, EMEA; Team: sales, but this scorecard shows region NA; "
        "send them their own view (--as lena@example.com)"
    ]
    lena = access.principal_for(policy, "lena@example.com")
    assert access.mail_problems(policy, ["lena@example.com", "ceo@example.com"], access.narrow(lena, {})) == []


def test_only_an_admin_saves_the_access_file_and_a_local_admin_cannot_lock_out(tmp_path: Path) -> None:
    from scorecard.access.store import save_policy
    from scorecard.catalog.history import content_hash

    path = tmp_path / "access.yaml"
    analyst = Principal(name="ana", role="analyst", mode="signed_in", email="ana@example.com")
    with pytest.raises(AccessDenied, match="only admins may manage access"):
        save_policy(path, POLICY, analyst, content_hash(""))
    assert not path.exists()
    # Local mode has no signed-in address to lock out: the first file can name anyone.
    save_policy(path, "users:\n  - {email: a@b.co, role: admin}\n", access.local_principal("jo"), content_hash(""))
    assert access.load_policy(path).rules[0].pattern == "a@b.co"
    assert not list(tmp_path.glob(".access.yaml.*.tmp")), "no temporary file left behind"
