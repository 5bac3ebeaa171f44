from django.core.management.base import BaseCommand, CommandError

from ameli_portal.preflight import check_database, check_redis, shown


class Command(BaseCommand):
    help = "Vérifie que la base de données (et Redis) répondent ; une ligne par problème."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--require-postgres", action="store_true")
        parser.add_argument("--require-redis", action="store_true")
        parser.add_argument(
            "--server-only",
            action="store_true",
            help="ne vérifie que le serveur PostgreSQL (les tests créent leur propre base)",
        )

    def handle(self, *args, require_postgres=False, require_redis=False, server_only=False, **options):
        from django.conf import settings

        problems = []
        engine = settings.DATABASES["default"]["ENGINE"]
        if require_postgres and engine != "django.db.backends.postgresql":
            problems.append(f"{shown('DATABASE_URL')} doit désigner PostgreSQL (postgres://...).")
        else:
            problems.append(check_database(server_only=server_only))
        if require_redis or settings.REDIS_URL:
            problems.append(check_redis())
        problems = [p for p in problems if p]
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("Services joignables.")
