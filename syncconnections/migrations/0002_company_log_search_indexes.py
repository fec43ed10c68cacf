from django.db import migrations

from common.migration_operations import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("syncconnections", "0001_initial")]

    operations = [
        trigram_indexes(
            "syncconnections_companylogentry",
            ("organizer_email", "mailbox", "attendee_emails", "subject", "event_id"),
            prefix="companylog",
        )
    ]
