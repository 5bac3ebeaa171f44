"""The only code that changes accounts' important models, one module per part of the domain.

identity (proving one's identity at sign-up), login (sign-in, lockout, activation),
register (the register's changes: contact, IBAN, identity, family), cards (carte Vitale,
CEAM), codes (provisional codes), letters (the mailroom's postal letters), rights
(coverage periods and the welcome letter they trigger). Import from the module itself.
"""
