"""The writers of reimbursements, in the domain's words: posting (one care sheet, its
reversal), posting_batch (a batch of sheets, for the import), payments (the payment run),
importing and import_runs (a file of care sheets, and the upload job around it),
allowances (daily allowances). Reads are in ``reimbursements.queries``."""
