from typing import Any

from django.apps import apps
from django.db import transaction

from common.commands import QuietCommand
from common.encryption import EncryptedTextField


class Command(QuietCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEY, so older "
        "keys can then be removed. Safe to run repeatedly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            count = 0
            with transaction.atomic():
                # Reading decrypts with whichever key fits; writing encrypts with the first.
                # The rows stay locked so a secret changed meanwhile is not overwritten.
                rows = model._base_manager.select_for_update().values_list("pk", *fields)
                for pk, *values in rows:
                    model._base_manager.filter(pk=pk).update(
                        **dict(zip(fields, values, strict=True))
                    )
                    count += 1
            self.say(f"{model._meta.label}: {count} rows re-encrypted")
