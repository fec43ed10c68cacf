from django.db import migrations

from common.migration_operations import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [
        trigram_indexes("bookings_reservation", ("title", "organizer_email"), prefix="reservation")
    ]
