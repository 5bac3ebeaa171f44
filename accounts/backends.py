from allauth.account.auth_backends import AuthenticationBackend


class AccountBackend(AuthenticationBackend):
    """allauth's backend (login by NIR), refusing accounts locked after failed logins.

    A locked account answers exactly as a wrong password does: the public response
    never says that an account exists or is locked, and neither does its timing.
    Every login costs one password hash, whoever it names (tests/accounts/
    test_uniform_hashing.py counts them).
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None

    def _check_password(self, user, password):
        if getattr(user, "locked_at", None) is not None:
            # Refused before its password is checked: allauth would otherwise "stash" a user
            # whose password is right and show an "inactive account" page (the lock revealed).
            # Left unchecked, the password is hashed once on a blank user by allauth, as for
            # an unknown login; checking it here as well would cost twice the time.
            return None
        return super()._check_password(user, password)
