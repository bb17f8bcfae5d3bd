"""Leads and follow-up cadence: intake (CSV, webhook, commands), when each lead is due, nudges."""
