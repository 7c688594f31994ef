"""The inbound side's hooks (webhook route, forge events, the poll command)."""
