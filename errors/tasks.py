from errors.notifications import send_failure_digests


def send_digests() -> int:
    return send_failure_digests()
