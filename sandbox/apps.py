from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Local stand-ins for Microsoft Graph and the Rover PMS, served over HTTPS."""

    name = "sandbox"
    verbose_name = "Sandbox"
