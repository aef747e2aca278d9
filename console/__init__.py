"""The staff's face: login, counter view, worklists per role, SOP steps, admin and reports."""
