"""The public glossary: the words of the Assurance Maladie, in plain French.

Figures are those in force in 2026, the same as the rules engine's tariff
table (reimbursements/rules.py): when a figure changes there, change it here
too. The list is sorted alphabetically, accents ignored, so that the page's
index reads in order.
"""

import re
import unicodedata


def _french_spacing(text: str) -> str:
    """No line break inside « … », before : ; ? ! or between a number and % or €."""
    text = re.sub(r" ([:;?!»])", "\u00a0\\1", text)
    text = re.sub(r"(\d) ([%€])", "\\1\u00a0\\2", text)
    return text.replace("« ", "«\u00a0")


def _sort_key(entry: dict) -> str:
    decomposed = unicodedata.normalize("NFKD", entry["term"])
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_TERMS: list[dict] = [
    {
        "term": "100 % Santé",
        "slug": "100-sante",
        "definition": (
            "Dispositif qui permet d'obtenir certaines lunettes, prothèses dentaires et aides "
            "auditives sans reste à charge. Les équipements du panier « 100 % Santé » sont "
            "intégralement pris en charge par l'Assurance Maladie et la complémentaire santé, à "
            "condition d'avoir un contrat de complémentaire dit « responsable » ou la "
            "complémentaire santé solidaire. Les opticiens, dentistes et audioprothésistes doivent "
            "toujours proposer au moins une offre de ce panier dans leur devis."
        ),
    },
    {
        "term": "ALD (affection de longue durée)",
        "slug": "ald",
        "definition": (
            "Maladie grave ou chronique qui nécessite un traitement prolongé et coûteux (diabète, "
            "cancer, insuffisance cardiaque…). Sur la base d'un protocole de soins établi par le "
            "médecin traitant, les soins en rapport avec cette maladie sont remboursés à 100 % de "
            "la base de remboursement. Les dépassements d'honoraires, la participation forfaitaire "
            "et les franchises médicales restent dus, et les soins sans rapport avec l'ALD sont "
            "remboursés aux taux habituels."
        ),
    },
    {
        "term": "Attestation de droits",
        "slug": "attestation-de-droits",
        "definition": (
            "Document qui prouve que vous êtes affilié à l'Assurance Maladie et que vos droits sont "
            "ouverts. Elle indique votre numéro de sécurité sociale, la période de vos droits, vos "
            "éventuels ayants droit, vos exonérations et votre médecin traitant. Vous pouvez la "
            "télécharger à tout moment dans votre compte ; elle permet aussi de vous faire soigner "
            "si vous n'avez pas votre carte Vitale."
        ),
    },
    {
        "term": "Ayant droit",
        "slug": "ayant-droit",
        "definition": (
            "Personne dont les frais de santé sont pris en charge grâce à l'assuré auquel elle est "
            "rattachée : aujourd'hui, il s'agit surtout des enfants mineurs. Un enfant peut être "
            "rattaché à l'un de ses parents ou aux deux. Ses remboursements apparaissent dans le "
            "compte du parent auquel il est rattaché."
        ),
    },
    {
        "term": "Base de remboursement (BR)",
        "slug": "base-de-remboursement",
        "definition": (
            "Tarif fixé par l'Assurance Maladie pour chaque acte ou produit de santé, sur lequel "
            "est calculé votre remboursement. Par exemple, la consultation d'un médecin généraliste "
            "de secteur 1 a une base de remboursement de 30 €. Le remboursement est égal à cette "
            "base multipliée par le taux de remboursement, moins l'éventuelle participation "
            "forfaitaire ou franchise. Ce que vous payez au-delà de la base (dépassement "
            "d'honoraires) n'est pas remboursé par l'Assurance Maladie."
        ),
    },
    {
        "term": "Carte Vitale",
        "slug": "carte-vitale",
        "definition": (
            "Carte à puce, gratuite, qui atteste de vos droits à l'assurance maladie auprès des "
            "professionnels de santé. Grâce à elle, la feuille de soins est transmise "
            "électroniquement à votre caisse et vous êtes remboursé en quelques jours. Elle ne "
            "contient aucune donnée médicale. En cas de perte ou de vol, déclarez-le sans attendre "
            "pour qu'elle soit mise en opposition et qu'une nouvelle carte vous soit envoyée."
        ),
    },
    {
        "term": "Chambre particulière",
        "slug": "chambre-particuliere",
        "definition": (
            "Chambre individuelle demandée par le patient lors d'une hospitalisation. Son "
            "supplément n'est pas remboursé par l'Assurance Maladie ; votre complémentaire santé "
            "peut le prendre en charge, en tout ou partie, selon votre contrat. Il ne doit pas vous "
            "être facturé lorsque la chambre individuelle est imposée par votre état de santé, par "
            "exemple en cas d'isolement médical."
        ),
    },
    {
        "term": "Code provisoire",
        "slug": "code-provisoire",
        "definition": (
            "Code à 8 chiffres qui permet de créer votre compte lorsque vous ne pouvez pas prouver "
            "votre identité avec le RIB connu de votre caisse. Il est envoyé par courrier postal, "
            "uniquement à l'adresse enregistrée par votre caisse. Il est valable 30 jours et ne "
            "sert qu'une fois ; une nouvelle demande annule le code précédent."
        ),
    },
    {
        "term": "Complémentaire santé",
        "slug": "complementaire-sante",
        "definition": (
            "Contrat souscrit auprès d'une mutuelle, d'une société d'assurance ou d'une institution "
            "de prévoyance, souvent par l'intermédiaire de l'employeur, qui rembourse tout ou partie "
            "de ce qui reste à votre charge après l'Assurance Maladie : ticket modérateur, forfait "
            "journalier hospitalier, dépassements d'honoraires selon le contrat. La plupart des "
            "contrats sont dits « responsables » : ils encadrent la prise en charge des dépassements "
            "et donnent accès au 100 % Santé."
        ),
    },
    {
        "term": "Complémentaire santé solidaire (CSS)",
        "slug": "complementaire-sante-solidaire",
        "definition": (
            "Aide pour payer ses dépenses de santé, accordée sous conditions de ressources : selon "
            "vos revenus, elle est gratuite ou coûte moins de 1 € par jour et par personne. Avec "
            "elle, vous n'avancez pas les frais (tiers payant intégral) et les dépassements "
            "d'honoraires ne peuvent pas vous être facturés, sauf exigence particulière de votre "
            "part. Vous êtes aussi exonéré de la participation forfaitaire et des franchises "
            "médicales."
        ),
    },
    {
        "term": "Dépassement d'honoraires",
        "slug": "depassement-d-honoraires",
        "definition": (
            "Part des honoraires qui dépasse la base de remboursement. Les médecins de secteur 2 "
            "peuvent en pratiquer « avec tact et mesure » ; les médecins de secteur 1 seulement dans "
            "des cas limités, par exemple si vous consultez un spécialiste hors du parcours de "
            "soins coordonnés. Les dépassements ne sont jamais remboursés par l'Assurance Maladie ; "
            "votre complémentaire santé peut les prendre en charge selon votre contrat. Le "
            "professionnel doit afficher ses tarifs et vous informer par écrit à l'avance lorsque "
            "ses honoraires atteignent 70 € ou plus."
        ),
    },
    {
        "term": "Feuille de soins",
        "slug": "feuille-de-soins",
        "definition": (
            "Document qui détaille les soins reçus et les sommes payées, et qui déclenche votre "
            "remboursement. Quand vous présentez votre carte Vitale, elle est électronique et "
            "transmise directement à votre caisse : vous êtes remboursé en quelques jours. Une "
            "feuille de soins papier doit être complétée, signée et envoyée à votre caisse ; vous "
            "avez 2 ans à compter de la date des soins pour le faire."
        ),
    },
    {
        "term": "Forfait journalier hospitalier",
        "slug": "forfait-journalier-hospitalier",
        "definition": (
            "Participation aux frais d'hébergement et de repas due pour chaque journée "
            "d'hospitalisation, jour de sortie compris : 20 € par jour à l'hôpital ou en clinique, "
            "15 € par jour en service psychiatrique. Il n'est pas remboursé par l'Assurance "
            "Maladie, mais les complémentaires santé responsables le prennent en charge sans "
            "limitation de durée. En sont notamment dispensés les femmes enceintes à partir du "
            "6e mois, les bénéficiaires de la CSS et les victimes d'un accident du travail."
        ),
    },
    {
        "term": "Franchise médicale",
        "slug": "franchise-medicale",
        "definition": (
            "Somme déduite de vos remboursements : 1 € par boîte de médicaments, 1 € par acte "
            "paramédical (infirmier, masseur-kinésithérapeute…) et 4 € par transport sanitaire. "
            "Elle est plafonnée à 4 € par jour pour les actes paramédicaux, à 8 € par jour pour "
            "les transports, et à 50 € par an et par personne au total. Les moins de 18 ans, les "
            "bénéficiaires de la CSS et les femmes enceintes à partir du 6e mois en sont exonérés ; "
            "en cas de tiers payant, elle est déduite d'un remboursement suivant."
        ),
    },
    {
        "term": "Indemnités journalières",
        "slug": "indemnites-journalieres",
        "definition": (
            "Sommes versées par l'Assurance Maladie pour compenser en partie la perte de salaire "
            "pendant un arrêt de travail (maladie, maternité, paternité, accident du travail). En "
            "cas de maladie, elles sont versées en général après un délai de carence de 3 jours et "
            "égales à 50 % du salaire journalier de base, dans la limite d'un plafond. L'avis "
            "d'arrêt de travail doit être envoyé à votre caisse et à votre employeur dans les "
            "48 heures ; l'attestation de paiement des indemnités se télécharge dans votre compte."
        ),
    },
    {
        "term": "Médecin traitant",
        "slug": "medecin-traitant",
        "definition": (
            "Médecin, généraliste ou spécialiste, que vous déclarez à votre caisse pour coordonner "
            "votre suivi médical : il vous oriente si besoin vers un spécialiste et tient votre "
            "dossier à jour. La déclaration est gratuite et se fait avec le médecin lors d'une "
            "consultation, dès 16 ans ; pour un enfant plus jeune, un parent peut la faire. Sans "
            "médecin traitant déclaré, vos consultations sont moins bien remboursées."
        ),
    },
    {
        "term": "NIR (numéro de sécurité sociale)",
        "slug": "nir",
        "definition": (
            "Numéro d'inscription au répertoire, appelé couramment numéro de sécurité sociale. Il "
            "compte 13 caractères (sexe, année et mois de naissance, lieu de naissance, numéro "
            "d'ordre), suivis d'une clé de contrôle de 2 chiffres, et figure sur votre carte "
            "Vitale. Les 13 premiers caractères servent d'identifiant pour vous connecter à votre "
            "compte. Ne l'envoyez jamais par courriel ordinaire : utilisez la messagerie sécurisée "
            "de votre compte."
        ),
    },
    {
        "term": "OPTAM",
        "slug": "optam",
        "definition": (
            "Option de pratique tarifaire maîtrisée : engagement pris par un médecin de secteur 2 "
            "auprès de l'Assurance Maladie à limiter ses dépassements d'honoraires. En échange, vous "
            "êtes mieux remboursé : la base de remboursement est la même qu'en secteur 1 (30 € pour "
            "une consultation de généraliste, contre 23 € chez un généraliste de secteur 2 non "
            "adhérent), et les complémentaires santé responsables peuvent mieux prendre en charge "
            "les dépassements. Pour les chirurgiens et les gynécologues-obstétriciens, on parle "
            "d'OPTAM-CO."
        ),
    },
    {
        "term": "Parcours de soins coordonnés",
        "slug": "parcours-de-soins-coordonnes",
        "definition": (
            "Organisation du suivi médical autour de votre médecin traitant, que vous consultez en "
            "premier avant d'être orienté, si nécessaire, vers un spécialiste. Dans ce parcours, une "
            "consultation est remboursée à 70 % ; en dehors, le taux tombe à 30 % et un "
            "spécialiste de secteur 1 peut pratiquer un dépassement. Certains spécialistes se "
            "consultent directement sans perte de remboursement : gynécologue, ophtalmologue, "
            "psychiatre pour les 16-25 ans et stomatologue ; les urgences sont aussi hors parcours "
            "sans pénalité."
        ),
    },
    {
        "term": "Participation forfaitaire",
        "slug": "participation-forfaitaire",
        "definition": (
            "Somme de 2 € déduite du remboursement de chaque consultation ou acte de médecin, "
            "examen de radiologie et analyse de biologie médicale ; elle ne s'applique ni aux "
            "dentistes, ni aux sages-femmes, ni aux auxiliaires médicaux. Elle est plafonnée à "
            "8 € par jour pour un même professionnel (4 actes) et à 50 € par an et par personne. "
            "Les moins de 18 ans, les bénéficiaires de la CSS et les femmes enceintes à partir du "
            "6e mois en sont exonérés ; les personnes en ALD ne le sont pas."
        ),
    },
    {
        "term": "Prime de naissance",
        "slug": "prime-de-naissance",
        "definition": (
            "Aide financière versée pour chaque enfant à naître, sous conditions de ressources. Elle "
            "n'est pas versée par l'Assurance Maladie mais par la caisse d'allocations familiales "
            "(ou la MSA). Pour en bénéficier, déclarez votre grossesse à votre caisse d'assurance "
            "maladie et à la caisse d'allocations familiales avant la fin du 3e mois (14e semaine)."
        ),
    },
    {
        "term": "Relevé de remboursements",
        "slug": "releve-de-remboursements",
        "definition": (
            "Récapitulatif des remboursements effectués par l'Assurance Maladie sur une période : "
            "date des soins, professionnel, montant payé, base de remboursement, montant remboursé, "
            "participation forfaitaire et franchises déduites. Il se consulte et se télécharge en "
            "PDF dans votre compte, par exemple pour votre complémentaire santé."
        ),
    },
    {
        "term": "Secteur 1 / Secteur 2",
        "slug": "secteur-1-secteur-2",
        "definition": (
            "Catégories de médecins conventionnés selon leurs tarifs. Un médecin de secteur 1 "
            "applique les tarifs fixés par l'Assurance Maladie, sauf exceptions (exigence "
            "particulière du patient, consultation hors parcours de soins). Un médecin de secteur 2, "
            "à honoraires libres, peut pratiquer des dépassements d'honoraires, qui restent à votre "
            "charge ou à celle de votre complémentaire santé. Les médecins non conventionnés "
            "(« secteur 3 ») sont rares et presque pas remboursés."
        ),
    },
    {
        "term": "Tableau de remboursement",
        "slug": "tableau-de-remboursement",
        "definition": (
            "Tableau fourni par votre complémentaire santé, qui indique pour chaque type de soins "
            "le niveau de remboursement de votre contrat. Les montants sont souvent exprimés en "
            "pourcentage de la base de remboursement, part de l'Assurance Maladie comprise : "
            "« 100 % BR » ne couvre que le ticket modérateur, « 200 % BR » couvre en plus un "
            "dépassement jusqu'à une fois la base. L'optique, le dentaire ou les aides auditives "
            "sont souvent exprimés en euros ou en forfait annuel."
        ),
    },
    {
        "term": "Taux de remboursement",
        "slug": "taux-de-remboursement",
        "definition": (
            "Pourcentage de la base de remboursement payé par l'Assurance Maladie. Il dépend des "
            "soins : 70 % pour une consultation de médecin ou de sage-femme dans le parcours de "
            "soins (30 % en dehors), 60 % pour les dentistes, les auxiliaires médicaux et les "
            "analyses, 80 % pour une hospitalisation, 100 %, 65 %, 30 % ou 15 % pour les "
            "médicaments selon leur service médical rendu. Il passe à 100 % pour les soins liés à "
            "une ALD ou à la maternité à partir du 6e mois de grossesse."
        ),
    },
    {
        "term": "Téléconsultation",
        "slug": "teleconsultation",
        "definition": (
            "Consultation à distance, par vidéo, avec un médecin. Elle est remboursée comme une "
            "consultation au cabinet (70 % de 30 € pour un généraliste dans le parcours de soins), "
            "à condition, en principe, de passer par votre médecin traitant ou par un médecin que "
            "vous avez vu en consultation dans les 12 derniers mois. Un arrêt de travail prescrit "
            "en téléconsultation par un autre médecin est limité à 3 jours."
        ),
    },
    {
        "term": "Ticket modérateur",
        "slug": "ticket-moderateur",
        "definition": (
            "Partie de la base de remboursement qui reste à votre charge après le remboursement de "
            "l'Assurance Maladie, avant déduction de la participation forfaitaire ou des "
            "franchises. Pour une consultation de 30 € remboursée à 70 %, le ticket modérateur est "
            "de 9 €. Il est en général pris en charge par votre complémentaire santé ; vous en êtes "
            "exonéré pour les soins liés à une ALD ou à la maternité à partir du 6e mois."
        ),
    },
    {
        "term": "Tiers payant",
        "slug": "tiers-payant",
        "definition": (
            "Dispense d'avance de frais : l'Assurance Maladie, et le cas échéant votre "
            "complémentaire santé, paie directement le professionnel de santé. Il est largement "
            "pratiqué en pharmacie (à condition d'accepter les médicaments génériques) et il est de "
            "droit pour les bénéficiaires de la CSS et pour les soins liés à une ALD ou à la "
            "maternité. La participation forfaitaire et les franchises sont alors déduites de vos "
            "remboursements suivants."
        ),
    },
]

GLOSSARY: list[dict] = [
    {**entry, "definition": _french_spacing(entry["definition"])} for entry in sorted(_TERMS, key=_sort_key)
]
