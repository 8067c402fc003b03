"""The staff API: enquiries and the moderation queues, by role (staff/roles.py)."""
