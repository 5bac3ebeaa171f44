"""allauth's sign-in API for apps, fitted to the portal: the account's NIR is not sent back."""

from allauth.headless.adapter import DefaultHeadlessAdapter


class HeadlessAdapter(DefaultHeadlessAdapter):
    def serialize_user(self, user):
        # The account's username is the NIR: the app already knows what it typed, and the
        # person's profile (/api/v1/moi/profil) shows it masked, as the web does.
        data = super().serialize_user(user)
        data.pop("username", None)
        return data
