"""Which CRMs this deployment syncs with, built from the settings: the one place that knows every
connector, so commands, the schedule and the write-back ask here by source name."""

from __future__ import annotations

from bot.context import BotContext
from bot.leads.crm import CrmConnector

CRM_SOURCES = ("hubspot", "salesforce")


def configured(ctx: BotContext) -> list[str]:
    """The CRM sources whose credentials are set."""
    settings = ctx.settings
    ready = {"hubspot": settings.hubspot_access_token is not None,
             "salesforce": settings.salesforce_username is not None}
    return [s for s in CRM_SOURCES if ready[s]]


def connector(ctx: BotContext, source: str) -> CrmConnector:
    """The connector for `source`; raises CrmError when it is not set up."""
    from bot.leads.crm import CrmError

    if source == "hubspot":
        from bot.leads.hubspot import HubSpotConnector

        return HubSpotConnector(ctx.settings, ctx.strategy)
    if source == "salesforce":
        from bot.leads.salesforce import SalesforceConnector

        return SalesforceConnector(ctx.settings, ctx.strategy)
    raise CrmError(f"'{source}' is not a CRM I can sync; use one of {', '.join(CRM_SOURCES)}",
                   transient=False)
