"""What the booking core announces. Integrations connect receivers; the core imports none.

Every signal is sent inside the database transaction of the change, so a receiver that
enqueues a background job commits it together with the change (or not at all).
Changes made with QuerySet.update() bypass these signals: change reservations through save().
"""

from django.dispatch import Signal

# reservation: the new Reservation.
reservation_created = Signal()

# reservation, changes: {field name: (old value, new value)} of Reservation.TRACKED_FIELDS
# (foreign keys by their *_id name).
reservation_changed = Signal()

# resource, staff (or None): asked before a series is booked from a pattern; a receiver may
# answer with the most occurrences it accepts for them (a calendar's limit), or None.
occurrence_limit = Signal()

# reservations: a list of new Reservations inserted at once (create_reservations: a series
# booked, a page of Outlook meetings), announced together so that receivers do their work
# once per batch. Each counts as created, with its status reached (old status None).
reservations_created = Signal()

# reservation, old_status (None on creation), new_status.
reservation_status_changed = Signal()

# reservation: still in the database when sent.
reservation_deleted = Signal()

# series: a ReservationSeries whose occurrences have all been created (sent once, when its
# "all occurrences created" flag is set).
series_completed = Signal()

# series: a ReservationSeries whose pattern, times or title were changed for all its
# occurrences (bookings.series_edits), or which ends sooner since a split: calendars that
# show it as one recurring event bring that event up to date.
series_reshaped = Signal()
