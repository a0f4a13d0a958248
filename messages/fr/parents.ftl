## Dates et heures
weekday-1 = lundi
weekday-2 = mardi
weekday-3 = mercredi
weekday-4 = jeudi
weekday-5 = vendredi
weekday-6 = samedi
weekday-7 = dimanche
month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
date-long = { $weekday } { $day ->
    [1] 1er
   *[other] { $day }
} { $month } { $year }
heure = { $minute ->
    [0] { $hour } h
   *[other] { $hour } h { $mm }
}
version-francaise = Version en français :

## Convocation à l'entretien du protocole d'accompagnement des parents
par-convocation-objet = Rendez-vous pour votre enfant le { $date }
par-convocation =
    Bonjour,
    Nous voulons parler avec vous de votre enfant.
    Le but est de l'aider à bien continuer sa scolarité.
    Vous allez rencontrer le directeur académique.
    C'est le responsable de l'Éducation nationale dans le département.
    La direction de l'établissement de votre enfant sera aussi là : { $etablissement }.
    Le rendez-vous a lieu le { $date } à { $heure }.
    L'adresse est : { $lieu }.
    Vous pouvez venir avec une personne de votre choix.
    Vous avez une question ? Appelez le { $telephone }.
    Vous préférez parler plutôt que lire ? Appelez ce numéro.
    Nous vous expliquons tout au téléphone.
    Vous ne pouvez pas venir ce jour-là ? Appelez-nous.
    Nous cherchons une autre date avec vous.
    L'invitation jointe ajoute ce rendez-vous à votre agenda.

## Autour de chaque avis
remplace = Ce message annule et remplace le précédent. Le rendez-vous du { $ancienne-date } à { $ancienne-heure } n'a plus lieu. Voici la nouvelle date.
reponse-intro = Dites-nous si vous venez. Cliquez sur un des deux liens :
reponse-oui = Je viendrai
reponse-rappel = Je ne peux pas venir, rappelez-moi
reference = Au téléphone, donnez ce numéro de dossier : { $reference }.
signature = { $signataire }. Téléphone : { $telephone }.

annule-titre = Rendez-vous annulé : { $date }
annule = Le rendez-vous du { $date } à { $heure } est annulé. Vous n'avez pas à venir. Nous vous appelons pour trouver une autre date. Une question ? Appelez le { $telephone }.

## La page où la famille répond
page-titre = Votre réponse pour le rendez-vous
page-oui = Vous viendrez au rendez-vous du { $date } à { $heure } ? Confirmez avec le bouton.
page-rappel = Vous ne pouvez pas venir au rendez-vous du { $date } à { $heure } ? Confirmez avec le bouton. Nous vous appelons pour trouver une autre date.
page-bouton-oui = Oui, je viendrai
page-bouton-rappel = Rappelez-moi
page-merci-oui = Merci. Nous avons noté que vous viendrez le { $date } à { $heure }.
page-merci-rappel = Merci. Nous allons vous appeler pour trouver une autre date.
page-perime = Ce lien ne marche plus : le rendez-vous a changé ou il est passé. Lisez le dernier message reçu, ou appelez le numéro de ce message.
