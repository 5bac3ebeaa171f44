"""The only code that changes messaging's models: threads.py (threads with the caisse,
notices, replies, reading, closing, assignment) and contact.py (the public contact form's
requests and their queue). Import from the module itself."""
