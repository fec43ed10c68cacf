"""What the Microsoft 365 integration announces. Apps above it connect receivers; it imports
none of them. Sent inside the database transaction of the change."""

from django.dispatch import Signal

# Outlook cancelled or deleted the event of a Bookbridge reservation, and the tenant asks a
# person before a reservation is cancelled. Arguments: reservation, connection, event_id,
# outlook_data (the event as Graph sent it). A receiver that asked a person returns True;
# one that finds the event already waiting for a decision returns False, and the change is
# not logged a second time.
outlook_cancellation = Signal()
