"""The public's face beyond the kiosk: the SKM survey (/survei) and the transparency page (/publik)."""
