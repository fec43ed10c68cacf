from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def breakable_address(value: object) -> SafeString:
    """An e-mail address that wraps before its @ and after its dots, where a reader expects
    a break, rather than anywhere in a word (room.boardroom@<wbr>contoso.<wbr>example)."""
    text = str(escape(value))
    return mark_safe(text.replace("@", "<wbr>@").replace(".", ".<wbr>"))  # escaped above
