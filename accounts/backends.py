from allauth.account.auth_backends import AuthenticationBackend


class AccountBackend(AuthenticationBackend):
    """allauth's backend (login by NIR), refusing accounts locked after failed logins.

    A locked account answers exactly as a wrong password does: the public response
    never says that an account exists or is locked.
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None

    def _check_password(self, user, password):
        if getattr(user, "locked_at", None) is not None:
            # allauth would otherwise "stash" a user whose password is right and show
            # an "inactive account" page: that would reveal the lock.
            user.check_password(password)  # same work, same timing
            return False
        return super()._check_password(user, password)
