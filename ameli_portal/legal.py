"""The facts of the privacy notice that are tables: purposes with their legal basis, and how
long each kind of data is kept. One place to change them; the pages and the tests read them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Purpose:
    purpose: str
    data: str
    basis: str


@dataclass(frozen=True)
class Retention:
    data: str
    period: str
    then: str


PURPOSES = [
    Purpose(
        "Ouvrir et gérer votre compte en ligne, vous connecter en sécurité",
        "Identité, numéro de sécurité sociale, adresse électronique, mot de passe (chiffré), "
        "journaux de connexion",
        "Mission d'intérêt public de l'Assurance Maladie (RGPD, article 6.1.e ; code de la sécurité sociale)",
    ),
    Purpose(
        "Rembourser vos soins et ceux de vos ayants droit, vous informer de vos paiements",
        "Actes de soins, professionnels consultés, montants, exonérations, IBAN",
        "Obligation légale et mission d'intérêt public (articles 6.1.c et 6.1.e) ; données de "
        "santé traitées pour la protection sociale (article 9.2.b et 9.2.h)",
    ),
    Purpose(
        "Délivrer vos attestations, votre carte Vitale et instruire vos démarches",
        "Identité, adresse postale, droits ouverts, photo et pièces justificatives",
        "Mission d'intérêt public (article 6.1.e) ; article 9.2.b pour les données de santé",
    ),
    Purpose(
        "Échanger avec vous par la messagerie",
        "Vos messages et les réponses de la caisse",
        "Mission d'intérêt public (article 6.1.e)",
    ),
    Purpose(
        "Protéger votre compte contre les accès frauduleux",
        "Adresse IP, navigateur, date des connexions et des tentatives échouées",
        "Mission d'intérêt public (article 6.1.e) et obligation de sécurité (article 32)",
    ),
]

RETENTION = [
    Retention(
        "Compte en ligne (adresse électronique, mot de passe chiffré, préférences)",
        "Tant que le compte est ouvert",
        "supprimé 3 mois après la clôture du compte",
    ),
    Retention(
        "Sessions de connexion (adresse IP, navigateur)",
        "12 heures au plus pour une session ; historique 1 an",
        "supprimé",
    ),
    Retention("Journaux de sécurité (connexions, tentatives échouées, verrouillages)", "1 an", "supprimés"),
    Retention(
        "Code provisoire envoyé par courrier",
        "30 jours, ou jusqu'à son utilisation",
        "détruit (seule son empreinte est gardée, jamais le code)",
    ),
    Retention(
        "Acceptations des conditions d'utilisation (version et date)",
        "Durée du compte, puis 5 ans",
        "supprimées (preuve en cas de litige)",
    ),
    Retention(
        "Actes de soins, remboursements et paiements",
        "Année en cours et 2 ans (délai de réclamation), puis archivés 10 ans",
        "supprimés à la fin de l'archivage (obligations comptables)",
    ),
    Retention("Démarches et pièces justificatives", "5 ans après la décision", "supprimées"),
    Retention("Messages échangés avec la caisse", "5 ans après le dernier message", "supprimés"),
    Retention(
        "Attestations et relevés produits en PDF", "1 an (ils peuvent être produits à nouveau)", "supprimés"
    ),
]


def retention(*, export_days: int) -> list[Retention]:
    """The retention table, the archive's lifetime being a setting."""
    return [
        *RETENTION,
        Retention(
            "Archive « Télécharger mes données »",
            f"{export_days} jour{'s' if export_days > 1 else ''}",
            "supprimée automatiquement",
        ),
    ]


# --- the accessibility statement (RGAA 4.1.2) -----------------------------------------------
# The RGAA's three states: « totalement conforme » (every criterion met), « partiellement
# conforme » (at least half of them, measured by an audit), « non conforme » (under half, or
# no audit in force). No RGAA audit of the portal has been made: what is known comes from the
# automated checks and the keyboard tests below, which do not measure the 106 criteria.
# Change the state here after an audit; the footer and the statement page read it.
ACCESSIBILITY_STATUS = "non conforme"
ACCESSIBILITY_STATEMENT_DATE = "2 décembre 2026"
ACCESSIBILITY_TESTED = [
    "les pages publiques (accueil, aide, glossaire, contact, conditions d'utilisation, données "
    "personnelles, mentions légales, accessibilité, simulateur, vérification d'une attestation, "
    "carte Vitale sans compte), sur ordinateur et sur téléphone (390 px de large)",
    "la création de compte (identité, preuve, code provisoire), la connexion et son code, le mot "
    "de passe oublié",
    "« Mon espace », Mes informations, Mes paiements et le détail d'un paiement, Mes attestations, "
    "Ma carte Vitale, Mes démarches (chaque formulaire, avec ses erreurs), Ma messagerie, Mes "
    "données",
    "dans le back-office de la caisse, l'import d'un fichier de décomptes",
]
ACCESSIBILITY_KNOWN_ISSUES = [
    "Les documents PDF (attestations, relevés, courriers) ne sont pas balisés pour les lecteurs "
    "d'écran ; leur contenu est repris dans les pages du portail (paiements, droits, carte).",
    "Le back-office est l'interface d'administration de Django : il n'a pas été vérifié critère par critère.",
    "Le graphique des remboursements par mois est une image décrite par un texte ; son tableau "
    "de données est proposé à côté.",
]
