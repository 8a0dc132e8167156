# Pages des lanceurs d'alerte d'Amana — français.

## Layout

site-name = Amana
site-tagline = Signaler la corruption en sécurité, et donner votre avis sur les services publics
skip-to-content = Aller au contenu
languages = Langue
demo-banner = MODE DÉMO — pas pour de vrais signalements. Les clés des examinateurs de démonstration sont stockées sans protection sur ce serveur.
footer-privacy = Pas de cookies, pas de pistage, aucune ressource extérieure. Votre adresse n'est pas conservée.
footer-check = Suivre un signalement avec votre code

## Home

home-title = Signaler en sécurité
home-intro = Signalez la corruption et les infractions dans les organismes publics, ou envoyez une réclamation, une suggestion, un compliment, une question ou une évaluation de service — sans donner votre nom.
home-how-title = Comment ça marche
home-how-1 = Choisissez ce que vous voulez envoyer, puis l'organisme concerné.
home-how-2 = Décrivez ce qui s'est passé. Le texte est chiffré avant d'être stocké : seuls les responsables de l'intégrité de l'organisme et l'unité de contrôle peuvent le lire.
home-how-3 = Vous recevez un code de suivi. C'est le seul moyen de suivre votre signalement, de lire les réponses et d'ajouter des informations. Notez-le et gardez-le secret : il ne peut pas être récupéré.
home-safety-title = Protégez-vous
home-safety-tor = Pour une meilleure protection, utilisez le navigateur Tor au niveau « Le plus sûr ». Ce site fonctionne sans JavaScript.
home-safety-device = N'utilisez ni ordinateur ni téléphone professionnels, ni le réseau de votre lieu de travail. Utilisez un appareil personnel sur un réseau qui n'est pas lié à vous.
home-safety-details = Des détails que vous seul pouvez connaître peuvent vous identifier. Laissez le champ de contact vide pour rester anonyme.
home-safety-code = Toute personne qui a votre code peut lire votre signalement et les réponses. Ne le partagez pas et ne le laissez pas à la vue des autres.
home-choose-title = Que voulez-vous envoyer ?
home-status-title = Vous avez déjà envoyé quelque chose ?
home-status-link = Suivez-le avec votre code

## Kinds of submission

kind-violation = Signalement d'infraction ou de corruption
kind-violation-desc = Pots-de-vin, abus de fonction, fraude, favoritisme ou toute autre infraction dans un organisme public.
kind-violation-body = Que s'est-il passé ? Dites quand et où, qui était impliqué et comment vous le savez.
kind-complaint = Réclamation
kind-complaint-desc = Un problème avec un service reçu d'un organisme public.
kind-complaint-body = Quelle est votre réclamation ?
kind-suggestion = Suggestion
kind-suggestion-desc = Une idée pour améliorer un service public.
kind-suggestion-body = Votre suggestion
kind-compliment = Compliment
kind-compliment-desc = Des éloges pour un agent ou un service qui vous a bien traité.
kind-compliment-body = Que souhaitez-vous saluer ?
kind-inquiry = Question
kind-inquiry-desc = Une question sur un service ou une démarche.
kind-inquiry-body = Votre question
kind-service_evaluation = Évaluation de service
kind-service_evaluation-desc = Notez une visite dans un centre de service, question par question (« client mystère »).
kind-service_evaluation-body = Commentaire (facultatif) : quel service, quel bureau, et ce que les notes ne disent pas

## The submission form

form-agency = Organisme
form-agency-choose = Choisissez un organisme
form-body-hint = N'indiquez pas votre nom ni des détails qui vous identifient, sauf si vous le souhaitez. { $max } caractères au maximum.
form-contact = Contact (facultatif)
form-contact-hint = Laissez vide pour rester anonyme. Si vous le remplissez, les examinateurs le verront.
form-files = Pièces justificatives (facultatif)
form-files-hint = Jusqu'à { $count } fichiers, chacun jusqu'à { $file } Mo, { $total } Mo au total par signalement.
form-files-metadata = Les photos et documents peuvent contenir des informations cachées (lieu, appareil, nom de l'auteur) ; retirez-les d'abord si vous le pouvez. Les examinateurs sont avertis de ce qui reste.
form-options = Options
form-oversight = Envoyer uniquement à l'unité de contrôle
form-oversight-hint = Choisissez ceci si le signalement concerne les responsables de l'intégrité ou la direction de l'organisme lui-même.
form-receipt = Je veux un accusé de dépôt
form-receipt-hint = L'accusé prouve que ce texte exact a été déposé à cette date. Attention : les examinateurs de votre signalement (les agents d'intégrité de l'organisme et l'unité de contrôle) en détiennent le texte ; l'accusé seul leur permet donc de savoir quel signalement est le vôtre, et quiconque trouve l'accusé avec votre texte apprend que vous l'avez déposé. Si votre téléphone ou vos papiers risquent d'être fouillés, gardez l'accusé ailleurs, ou ne le demandez pas.
form-honeypot = Laissez ce champ vide
form-submit = Envoyer
form-again = Rien n'a encore été envoyé. Vérifiez ce que vous avez écrit ci-dessous, puis appuyez de nouveau sur « Envoyer ».
form-again-kept = Tout ce que vous avez écrit est toujours ci-dessous : corrigez ce qu'il faut, puis appuyez de nouveau sur « Envoyer ».
form-again-files = Les fichiers ne sont jamais conservés : si vous en aviez choisi, choisissez-les de nouveau avant d'envoyer.
form-again-invalid = Une partie de votre envoi n'a pas pu être acceptée. Rien n'a été enregistré. Vérifiez le formulaire ci-dessous et envoyez-le de nouveau.
form-ratings-title = Vos notes
form-ratings-scale = 1 = très mauvais, 5 = excellent. Choisissez « sans objet » pour ce que vous n'avez pas utilisé.
rating-na = Sans objet
form-place-title = Où avez-vous été reçu ?
form-place-hint = Choisissez l'organisme et, si possible, le centre de service : les questions en dépendent.
form-place-unknown = Ce centre de service n'appartient pas à l'organisme choisi : les questions ci-dessous sont celles de l'organisme, sans centre particulier. Pour nommer un centre, choisissez de nouveau l'organisme et le centre ci-dessus.
form-place-show = Afficher les questions
form-place-chosen = Vous évaluez :
form-centre = Centre de service
form-centre-none = Aucun centre en particulier
form-compliment-centre-hint = Facultatif. Le centre est enregistré sans chiffrement pour compter les compliments par centre ; choisissez « Aucun centre en particulier » si le nommer pouvait vous désigner.
form-complaint-centre-hint = Nommez le centre de service dans votre texte : le texte est chiffré, alors qu'un centre choisi dans une liste serait enregistré sans chiffrement.

## The code page and its confirmation step

code-title = Enregistré. Voici votre code de suivi
code-intro = Votre envoi est stocké, chiffré. Votre code de suivi :
code-latin = Le même code en chiffres latins :
code-order = Lisez le code de gauche à droite, en commençant par le groupe 1 : les petits numéros au-dessus des groupes indiquent l'ordre.
code-keep-1 = Notez-le maintenant, sur papier ou dans un endroit sûr. Il n'est affiché qu'une fois et ne peut pas être récupéré.
code-keep-2 = Il permet de suivre l'état, de lire les réponses et d'ajouter des informations. Quiconque le possède peut en faire autant.
code-keep-3 = Ne faites pas de capture d'écran sur un appareil partagé ou professionnel.
receipt-title = Votre accusé de dépôt
receipt-intro = Copiez l'accusé et le texte exact ci-dessous et gardez-les en lieu sûr. Ensemble, ils prouvent que ce texte a été déposé à cette date. Le serveur ne garde aucune copie de l'accusé, mais les examinateurs de votre signalement peuvent le retrouver grâce à lui : quiconque le leur montre peut apprendre quel signalement est le vôtre.
receipt-label = Accusé de dépôt
receipt-text-label = Le texte couvert par l'accusé
confirm-title = Vérifiez que vous l'avez noté
confirm-intro = Tapez le code depuis votre note, pas depuis l'écran. Votre envoi est déjà enregistré, que vous le fassiez ou non.
confirm-label = Tapez votre code
confirm-submit = Vérifier mon code
confirm-mismatch = Le code saisi ne correspond pas. Comparez votre note avec le code ci-dessus, corrigez-la et réessayez.
confirmed-title = Votre note est correcte
confirmed-body = Vous avez bien noté le code. Gardez-le secret et revenez dans quelques jours pour voir s'il y a une réponse.

## Status by code

code-label = Code de suivi
code-hint = Les espaces et les tirets ne comptent pas. Vous pouvez taper les chiffres en 0–9, ٠–٩ ou ۰–۹.
status-form-title = Suivre votre signalement
status-form-intro = Saisissez votre code de suivi pour voir l'état, lire les réponses et ajouter des informations.
status-form-submit = Vérifier
status-title = Votre signalement
status-kind = Type
status-agency = Organisme
status-status = État
status-received-on = Reçu le
status-ack-by = L'organisme doit en accuser réception avant le
status-feedback-by = L'organisme doit donner une réponse avant le
status-escalated = Un délai a été dépassé : le dossier a été transmis à l'unité de contrôle.
status-received = Reçu
status-received-help = Votre envoi est stocké et attend l'accusé de réception de l'organisme.
status-acknowledged = Réception confirmée
status-acknowledged-help = L'organisme a accusé réception de votre envoi et va l'examiner.
status-in_review = En cours d'examen
status-in_review-help = L'organisme examine votre envoi.
status-needs_info = Informations supplémentaires demandées
status-needs_info-help = Les examinateurs ont besoin de plus d'informations. Lisez leur réponse ci-dessous et ajoutez ce que vous pouvez.
status-closed_action_taken = Clos : mesures prises
status-closed_action_taken-help = Le dossier est clos et l'organisme a pris des mesures.
status-closed_unfounded = Clos : non confirmé
status-closed_unfounded-help = Le dossier est clos ; les examinateurs n'ont pas pu confirmer les faits signalés.
status-closed_referred = Clos : transmis
status-closed_referred-help = Le dossier est clos et a été transmis à un autre organisme compétent.
status-closed = Clos
status-closed-help = Le dossier est clos.
status-delete-after = Ses données seront supprimées après le
status-kept-longer = Ses données sont conservées plus longtemps que d’habitude ; aucune date de suppression n’est encore fixée.
status-purged = Ce dossier a été clos et ses données ont été supprimées le { $date }.
messages-title = Messages
messages-none = Pas encore de message.
message-unreadable = Un message n’a pas pu être affiché.
message-reply = Réponse des examinateurs
message-follow_up = Vous avez ajouté
followup-title = Ajouter des informations
followup-intro = Il n'y a pas de connexion, pour votre sécurité : tapez de nouveau votre code pour ajouter des informations.
followup-label = Que voulez-vous ajouter ?
followup-submit = Envoyer
rating-title = Notez le traitement de votre signalement
rating-intro = Tapez de nouveau votre code, puis choisissez une note.
rating-legend = Votre note (1 = très mauvais, 5 = excellent)
rating-submit = Envoyer la note
rating-given = Vous avez noté le traitement { $rating } sur 5. Merci.
closed-note = Ce dossier est clos. Pour signaler un fait nouveau, envoyez un nouveau signalement.
done-title = C'est fait
done-followup = Vos informations ont été ajoutées à votre signalement.
done-rating = Merci d'avoir noté le traitement de votre signalement.
done-next = Vérifier de nouveau l'état

## Errors

error-title = Désolé
error-400 = Une partie de votre envoi n'a pas pu être acceptée. Rien n'a été enregistré. Vérifiez le formulaire et envoyez-le de nouveau.
error-404 = Cette page n'existe pas.
error-code-404 = Aucun signalement ne correspond à ce code. Vérifiez les chiffres et réessayez.
error-code-typo = Ce code contient une faute de frappe : un chiffre est faux ou deux chiffres sont inversés. Comparez-le avec votre note et tapez-le de nouveau.
error-405 = Cette page ne peut pas être utilisée ainsi.
error-408 = La requête a pris trop de temps. Rien n'a été enregistré ; veuillez réessayer.
error-409 = Impossible pour le moment : le signalement est peut-être clos, déjà noté, ou il a changé entre-temps. Rien n'a été enregistré.
error-413 = Votre envoi est trop volumineux. Rien n'a été enregistré. Raccourcissez le texte, ou envoyez moins de fichiers ou des fichiers plus petits.
error-file-too-large = Un fichier dépasse { $max } Mo. Rien n'a été enregistré. Envoyez un fichier plus petit, ou le signalement sans lui.
error-files-total = Les fichiers dépassent { $max } Mo au total pour un signalement. Rien n'a été enregistré. Envoyez moins de fichiers ou des fichiers plus petits.
error-files-count = Un signalement peut compter au plus { $max } fichiers. Rien n'a été enregistré. Envoyez moins de fichiers.
error-files-quota = Le service ne peut plus recevoir de fichiers pour le moment. Rien n'a été enregistré. Envoyez le signalement sans fichier, ou réessayez plus tard.
error-429 = Trop de requêtes. Rien n'a été enregistré. Patientez un peu et réessayez.
error-500 = Une erreur s'est produite de notre côté. Rien n'a été enregistré ; veuillez réessayer plus tard.
error-503 = Le service est occupé. Rien n'a été enregistré ; réessayez dans une minute.
error-home = Retour à la page d'accueil
error-back = Utilisez le bouton Retour de votre navigateur pour revenir au formulaire : votre texte s'y trouve toujours. Seuls le champ de contact et les fichiers sont à remplir de nouveau.
error-back-links = Les liens ci-dessous ouvrent de nouvelles pages vides : ce que vous avez tapé n'y est pas conservé.
error-back-case = Ce que vous avez tapé n'a pas pu être conservé. Utilisez le bouton Retour de votre navigateur pour revenir à votre dossier (si le navigateur demande s'il faut renvoyer un formulaire, acceptez), puis tapez de nouveau votre code et votre texte.

## Dates

date = { $day } { $month } { $year }
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

transparency-title = Chiffres de transparence
transparency-intro = Chiffres que l'unité de contrôle publie pour chaque période, au moins 120 jours après sa fin, signés de sa clé. Les petits nombres ne sont pas affichés et les autres sont arrondis, pour qu'aucun chiffre ne désigne un auteur de signalement.
transparency-none = Aucun chiffre n'a encore été publié.
transparency-agency = Organisme
transparency-received = Reçus
transparency-on-time = Accusés de réception dans les délais
transparency-median-days = Jours médians avant accusé de réception
transparency-satisfaction = Satisfaction
transparency-year = Année
transparency-year-note = Les sommes des quatre trimestres publiés de l'année. Chaque trimestre porte la signature de l'unité de contrôle ; l'année est calculée à partir d'eux et n'en a pas besoin. « + 1×<5 » signifie qu'un trimestre en comptait moins de 5, ce que l'année ne précise pas. Les chiffres annuels pondèrent le chiffre publié de chaque trimestre par son nombre publié (n).
transparency-download = Télécharger :
transparency-first-reply = Jours médians jusqu'à la première réponse
transparency-by-kind = Reçus, par type
transparency-evaluations = Notes des évaluations de service (1 à 5)
transparency-centre = Centre de service
transparency-by = Par
transparency-score = Note
transparency-commissioned = Visites commandées
transparency-public = Avis du public
transparency-ranking = Classement par note des évaluations commandées
transparency-ranking-note = Seules les évaluations des visiteurs mandatés par l'unité de contrôle comptent, jamais les avis du public, et seulement avec assez d'évaluations publiées (n).
transparency-best-agencies = Meilleurs organismes
transparency-weakest-agencies = Organismes les plus faibles
transparency-best-centres = Meilleurs centres de service
transparency-weakest-centres = Centres de service les plus faibles
transparency-fastest = Les plus rapides à accuser réception (jours médians)
transparency-rank-none = Pas assez de chiffres publiés pour un classement.
