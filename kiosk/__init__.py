"""The citizen's face: the touchscreen kiosk that issues tickets, and the ticket status page."""
