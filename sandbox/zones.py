"""The time zone names Graph accepts in a dateTimeTimeZone, as resources/datetimetimezone.md
documents them: any Windows time zone name, and a listed set of IANA names. Anything else
is refused with 400 TimeZoneNotSupportedException (a name such as Europe/Amsterdam is a valid
IANA zone, but not one of the listed ones)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

# Windows names and the IANA zone each stands for (CLDR's windowsZones, territory "001").
from tzlocal.windows_tz import win_tz as WINDOWS_TO_IANA

# The "additional time zones" of datetimetimezone.md. Where the page gives a second name in
# brackets (Europe/Kyiv (Kiev)), both are accepted.
_LISTED = """
    Etc/GMT+12 Etc/GMT+11 Pacific/Honolulu America/Anchorage America/Santa_Isabel
    America/Los_Angeles America/Phoenix America/Chihuahua America/Denver America/Guatemala
    America/Chicago America/Mexico_City America/Regina America/Bogota America/New_York
    America/Indiana/Indianapolis America/Caracas America/Asuncion America/Halifax
    America/Cuiaba America/La_Paz America/Santiago America/St_Johns America/Sao_Paulo
    America/Argentina/Buenos_Aires America/Cayenne America/Godthab America/Montevideo
    America/Bahia Etc/GMT+2 Atlantic/Azores Atlantic/Cape_Verde Africa/Casablanca Etc/GMT
    Europe/London Atlantic/Reykjavik Europe/Berlin Europe/Budapest Europe/Paris Europe/Warsaw
    Africa/Lagos Africa/Windhoek Europe/Bucharest Asia/Beirut Africa/Cairo Asia/Damascus
    Africa/Johannesburg Europe/Kyiv Europe/Kiev Europe/Istanbul Asia/Jerusalem Asia/Amman
    Asia/Baghdad Europe/Kaliningrad Asia/Riyadh Africa/Nairobi Asia/Tehran Asia/Dubai
    Asia/Baku Europe/Moscow Indian/Mauritius Asia/Tbilisi Asia/Yerevan Asia/Kabul
    Asia/Karachi Asia/Tashkent Asia/Kolkata Asia/Colombo Asia/Kathmandu Asia/Almaty
    Asia/Dhaka Asia/Yekaterinburg Asia/Yangon Asia/Rangoon Asia/Bangkok Asia/Novosibirsk
    Asia/Shanghai Asia/Krasnoyarsk Asia/Singapore Australia/Perth Asia/Taipei
    Asia/Ulaanbaatar Asia/Irkutsk Asia/Tokyo Asia/Seoul Australia/Adelaide Australia/Darwin
    Australia/Brisbane Australia/Sydney Pacific/Port_Moresby Australia/Hobart Asia/Yakutsk
    Pacific/Guadalcanal Asia/Vladivostok Pacific/Auckland Etc/GMT-12 Pacific/Fiji
    Asia/Magadan Pacific/Tongatapu Pacific/Apia Pacific/Kiritimati
"""
DOCUMENTED_IANA = frozenset(_LISTED.split())


class UnsupportedTimeZone(ValueError):
    """A timeZone outside Graph's vocabulary."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "A valid TimeZone value must be specified. The following TimeZone value is not "
            f"supported: '{name}'."
        )
        self.name = name


def supported(name: str) -> bool:
    return name in WINDOWS_TO_IANA or name in DOCUMENTED_IANA


@cache
def resolve(name: str) -> ZoneInfo:
    """The zone a Graph timeZone name stands for; UnsupportedTimeZone for any other name."""
    if name in WINDOWS_TO_IANA:
        return ZoneInfo(WINDOWS_TO_IANA[name])
    if name in DOCUMENTED_IANA:
        return ZoneInfo(name)
    raise UnsupportedTimeZone(name)
