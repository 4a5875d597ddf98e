"""The generated arrays as CRM tables: ids for every row, leads and deals numbered in creation order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from scorecard.demo.arrays import category, crm_ids, dates, id_column, timestamps
from scorecard.demo.company import Accounts, Partners, Staff
from scorecard.demo.funnel import Leads
from scorecard.demo.pipeline import Activities, Opportunities
from scorecard.demo.story import (
    ACTIVITY_TYPES,
    DAY,
    OUTCOMES,
    PRODUCTS,
    REGIONS,
    REJECT_REASONS,
    SEGMENTS,
    SOURCES,
    STAGES,
)


@dataclass(frozen=True)
class References:
    """Ids of every table; leads and deals are numbered in the order they were created."""

    product_ids: pa.Array
    campaign_ids: pa.Array
    rep_ids: pa.Array
    account_ids: pa.Array
    partner_ids: pa.Array
    lead_ids: pa.Array
    lead_order: np.ndarray
    lead_rank: np.ndarray
    opp_ids: pa.Array
    opp_order: np.ndarray
    opp_rank: np.ndarray

    @classmethod
    def of(
        cls,
        lead: Leads,
        opps: Opportunities,
        n_campaigns: int,
        staff: Staff,
        accounts: Accounts,
        partners: Partners,
    ) -> References:
        lead_order = np.argsort(lead.created_s, kind="stable")
        opp_order = np.argsort(opps.created_s, kind="stable")
        return cls(
            product_ids=crm_ids("PRD-", len(PRODUCTS), 2),
            campaign_ids=crm_ids("CMP-", n_campaigns, 4),
            rep_ids=staff.ids,
            account_ids=accounts.ids,
            partner_ids=partners.ids,
            lead_ids=crm_ids("LEAD-", len(lead_order), 7),
            lead_order=lead_order,
            lead_rank=_rank(lead_order),
            opp_ids=crm_ids("OPP-", len(opp_order), 7),
            opp_order=opp_order,
            opp_rank=_rank(opp_order),
        )

    def lead(self, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """The ids of lead rows (generation order); -1 gives null."""
        return id_column(self.lead_ids, np.where(rows >= 0, self.lead_rank[np.maximum(rows, 0)], -1))

    def opportunity(self, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """The ids of deal rows (generation order); -1 gives null."""
        return id_column(self.opp_ids, np.where(rows >= 0, self.opp_rank[np.maximum(rows, 0)], -1))


def _rank(order: np.ndarray) -> np.ndarray:
    """The position of each row in `order` (the inverse permutation)."""
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank


def leads_frame(lead: Leads, opps: Opportunities, refs: References) -> pd.DataFrame:
    """The leads table in creation order, each converted lead pointing at its deal."""
    converted_opp = np.full(len(lead.created_s), -1, dtype=np.int64)
    from_lead = np.flatnonzero(opps.lead >= 0)
    converted_opp[opps.lead[from_lead]] = from_lead
    lo = refs.lead_order
    return pd.DataFrame(
        {
            "id": id_column(refs.lead_ids),
            "created_at": timestamps(lead.created_s[lo]),
            "source": pd.array(np.array([s.name for s in SOURCES], dtype=object)[lead.profile[lo]], dtype="str"),
            "campaign_id": id_column(refs.campaign_ids, lead.campaign[lo]),
            "account_id": id_column(refs.account_ids, lead.account[lo]),
            "region": category(lead.region[lo], [r.code for r in REGIONS]),
            "product_id": id_column(refs.product_ids, lead.product[lo]),
            "segment": category(lead.segment[lo], [s.name for s in SEGMENTS]),
            "owner_rep_id": id_column(refs.rep_ids, lead.owner[lo]),
            "mql_at": timestamps(lead.mql_s[lo], lead.is_mql[lo]),
            "accepted_at": timestamps(lead.decision_s[lo], lead.is_accepted[lo]),
            "rejected_at": timestamps(lead.decision_s[lo], lead.is_rejected[lo]),
            "reject_reason": category(lead.reject_reason[lo], REJECT_REASONS),
            "converted_at": timestamps(lead.converted_s[lo], lead.is_converted[lo]),
            "opportunity_id": refs.opportunity(converted_opp[lo]),
        }
    )


def _expected_close_days(opps: Opportunities) -> np.ndarray:
    """The day each deal's owner expects it to close (days since the epoch): the real cycle
    times a forecast error, a little optimistic (median 0.9x, some deals slip past it).

    Drawn from a stream of its own, seeded from the deals, so adding this column left every
    other demo value (and the stories tests check) as it was."""
    rng = np.random.default_rng(int(opps.created_s[:256].sum()) & 0xFFFFFFFF)
    created_day = opps.created_s // DAY
    cycle = np.maximum(opps.close_s // DAY - created_day, 1)
    forecast = rng.lognormal(np.log(0.9), 0.35, len(cycle))
    return created_day + np.maximum(np.round(cycle * forecast), 1).astype(np.int64)


def opportunities_frame(opps: Opportunities, refs: References, staff_ae: np.ndarray) -> pd.DataFrame:
    """The opportunities table in creation order."""
    oo = refs.opp_order
    return pd.DataFrame(
        {
            "id": id_column(refs.opp_ids),
            "lead_id": refs.lead(opps.lead[oo]),
            "account_id": id_column(refs.account_ids, opps.account[oo]),
            "owner_rep_id": id_column(refs.rep_ids, staff_ae[opps.owner_ae[oo]]),
            "channel": category(opps.channel_partner[oo].astype(np.int64), ["direct", "partner"]),
            "partner_id": id_column(refs.partner_ids, opps.partner[oo]),
            "product_id": id_column(refs.product_ids, opps.product[oo]),
            "region": category(opps.region[oo], [r.code for r in REGIONS]),
            "segment": category(opps.segment[oo], [s.name for s in SEGMENTS]),
            "created_at": timestamps(opps.created_s[oo]),
            "closed_at": timestamps(opps.close_s[oo], opps.is_closed[oo]),
            "expected_close_at": dates(_expected_close_days(opps)[oo]),
            "stage": category(opps.stage[oo], STAGES),
            "is_won": opps.is_won[oo],
            "amount": opps.amount[oo],
            "list_amount": opps.list_amount[oo],
            "cost_of_sale": opps.cost_of_sale[oo],
        }
    )


def activities_frame(acts: Activities, refs: References) -> pd.DataFrame:
    """The activities table in time order; emails have no duration."""
    ao = np.argsort(acts.occurred_s, kind="stable")
    return pd.DataFrame(
        {
            "id": id_column(crm_ids("ACT-", len(ao), 8)),
            "rep_id": id_column(refs.rep_ids, acts.rep[ao]),
            "lead_id": refs.lead(acts.lead[ao]),
            "opportunity_id": refs.opportunity(acts.opportunity[ao]),
            "type": category(acts.type[ao], ACTIVITY_TYPES),
            "occurred_at": timestamps(acts.occurred_s[ao]),
            "duration_s": pd.arrays.IntegerArray(np.maximum(acts.duration_s[ao], 0), acts.duration_s[ao] < 0),
            "outcome": category(acts.outcome[ao], OUTCOMES),
        }
    )
