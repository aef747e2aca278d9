"""Ticket printing hardware: ESC/POS ticket layout and printer transports.

No database and no Flask in here: callers hand in plain data
(:class:`hardware.ticket.TicketPrint`) and a printer URL.
"""
