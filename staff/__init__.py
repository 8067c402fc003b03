"""The staff area: second factor, roles, the admin home panel and enquiry retention."""
