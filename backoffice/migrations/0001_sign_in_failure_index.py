"""An index on the time of a failed sign-in: the failures' admin list (newest first) and the
purge of old ones read by it. django-axes declares none, and a password-guessing run can
write millions of rows."""

from django.db import migrations

INDEX = "backoffice_axes_failure_time"


class Migration(migrations.Migration):
    dependencies = [("axes", "0010_accessattemptexpiration")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {INDEX} ON axes_accessfailurelog (attempt_time)",
            f"DROP INDEX {INDEX}",
        ),
    ]
