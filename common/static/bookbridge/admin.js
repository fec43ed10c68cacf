// Times in the admin are read and shown in the time zone written beside each field (the
// site's), not the browser's: Django's "You are N hours behind server time" warning under
// every date field would only mislead, so the offset it compares with is withdrawn.
delete document.body.dataset.adminUtcOffset;
