"""The demo shop's articles: what an online shop's customers ask most, in both languages.
Each entry: key (shared by the translations), category, and per language
(slug, title, summary, Markdown body)."""

# ruff: noqa: E501

from typing import Any

CATEGORIES = [
    ("delivery", "Delivery and tracking", "Livraison et suivi"),
    ("problems", "Late, lost or damaged parcels", "Colis en retard, perdu ou abîmé"),
    ("returns", "Returns, refunds and exchanges", "Retours, remboursements et échanges"),
    ("orders", "Orders", "Commandes"),
    ("payment", "Payment and invoices", "Paiement et factures"),
    ("account", "Your account", "Votre compte"),
]

ARTICLES: list[dict[str, Any]] = [
    {
        "key": "delivery-times-and-costs",
        "category": "delivery",
        "en": (
            "delivery-times-and-costs",
            "Delivery times and costs by carrier",
            "How long delivery takes and what it costs with Colissimo, Chronopost, DHL and UPS.",
            """
Orders placed before 1 pm on a working day leave our warehouse the same day; later orders
leave the next working day.

| Carrier | Where | Delivery time | Cost |
|---|---|---|---|
| Colissimo (home) | France | 2 to 4 working days | 4.90 EUR, free from 60 EUR |
| Colissimo (relay point) | France | 3 to 5 working days | 3.90 EUR, free from 60 EUR |
| Chronopost (express) | France | next working day, ordered before 1 pm | 12.90 EUR |
| DHL | European Union | 3 to 6 working days | 9.90 EUR, free from 100 EUR |
| UPS | United Kingdom, Switzerland | 4 to 7 working days | 14.90 EUR (duties may apply) |

Working days are Monday to Friday, public holidays excepted. Delivery times are counted from
the day your parcel leaves the warehouse, shown in your shipping confirmation email.
""",
        ),
        "fr": (
            "delais-et-frais-de-livraison",
            "Délais et frais de livraison par transporteur",
            "Combien de temps prend la livraison et combien elle coûte avec Colissimo, Chronopost, DHL et UPS.",
            """
Les commandes passées avant 13 h un jour ouvré quittent notre entrepôt le jour même ; les
suivantes partent le jour ouvré suivant.

| Transporteur | Destination | Délai | Frais |
|---|---|---|---|
| Colissimo (domicile) | France | 2 à 4 jours ouvrés | 4,90 EUR, offerts dès 60 EUR |
| Colissimo (point relais) | France | 3 à 5 jours ouvrés | 3,90 EUR, offerts dès 60 EUR |
| Chronopost (express) | France | le jour ouvré suivant, pour une commande avant 13 h | 12,90 EUR |
| DHL | Union européenne | 3 à 6 jours ouvrés | 9,90 EUR, offerts dès 100 EUR |
| UPS | Royaume-Uni, Suisse | 4 à 7 jours ouvrés | 14,90 EUR (droits de douane possibles) |

Les jours ouvrés vont du lundi au vendredi, hors jours fériés. Les délais courent à partir du
jour où votre colis quitte l'entrepôt, indiqué dans l'e-mail de confirmation d'expédition.
""",
        ),
    },
    {
        "key": "free-shipping",
        "category": "delivery",
        "en": (
            "free-shipping",
            "Free shipping threshold",
            "Standard delivery is free from 60 EUR in France and from 100 EUR in the European Union.",
            """
Standard delivery (Colissimo, at home or in a relay point) is **free from 60 EUR** of
products in France, and DHL delivery is **free from 100 EUR** in the European Union.

- The threshold counts the products after discounts, without the gift wrapping.
- Express delivery (Chronopost) and deliveries outside the European Union are never free.
- If a return brings an order below the threshold, the delivery costs are not taken back.
""",
        ),
        "fr": (
            "livraison-offerte",
            "Seuil de livraison gratuite",
            "La livraison standard est offerte dès 60 EUR en France et dès 100 EUR dans l'Union européenne.",
            """
La livraison standard (Colissimo, à domicile ou en point relais) est **offerte dès 60 EUR**
d'achats en France, et la livraison DHL est **offerte dès 100 EUR** dans l'Union européenne.

- Le seuil compte les produits après remises, sans l'emballage cadeau.
- La livraison express (Chronopost) et les envois hors Union européenne ne sont jamais offerts.
- Si un retour fait passer la commande sous le seuil, les frais de port ne sont pas repris.
""",
        ),
    },
    {
        "key": "where-is-my-order",
        "category": "delivery",
        "en": (
            "where-is-my-order",
            "Where is my order?",
            "Follow your parcel with the tracking link we email when your order ships.",
            """
Once your order ships you receive an email with the carrier's name, your **tracking number**
and a tracking link. Parcels usually arrive within 2 to 4 working days in France and 3 to 6
days elsewhere in Europe.

Before it ships, your order goes through these steps: *received*, *being prepared*, *ready to
ship*. You can see them in your account under **My orders**.

If the tracking has not moved for 3 working days, write to us with your order number: we
check with the carrier for you.
""",
        ),
        "fr": (
            "ou-est-ma-commande",
            "Où est ma commande ?",
            "Suivez votre colis grâce au lien de suivi envoyé par e-mail à l'expédition.",
            """
Dès l'expédition, vous recevez un e-mail avec le nom du transporteur, votre **numéro de
suivi** et un lien de suivi. Les colis arrivent en général sous 2 à 4 jours ouvrés en France
et 3 à 6 jours ailleurs en Europe.

Avant l'expédition, votre commande passe par ces étapes : *reçue*, *en préparation*, *prête
à partir*. Vous les voyez dans votre compte, rubrique **Mes commandes**.

Si le suivi n'a pas bougé depuis 3 jours ouvrés, écrivez-nous avec votre numéro de commande :
nous vérifions auprès du transporteur.
""",
        ),
    },
    {
        "key": "track-a-parcel",
        "category": "delivery",
        "en": (
            "track-a-parcel",
            "Tracking a parcel: what each status means",
            "Where to find your tracking number and what the carrier's statuses mean.",
            """
Your tracking number is in the shipping confirmation email and in **My orders**. Enter it on
the carrier's site (Colissimo, Chronopost, DHL or UPS), or simply click the link in the email.

- **Label created**: the parcel is packed; the carrier has not scanned it yet (up to 24 hours).
- **In transit**: the parcel is moving between the carrier's depots.
- **Out for delivery**: it arrives today.
- **Delivery attempted**: nobody was there; the carrier tries again or leaves it at a post
  office or relay point, with a notice in your letterbox.
- **Available for pickup**: collect it within 10 days with an ID, or it comes back to us.
- **Delivered**: if you cannot find it, see *My parcel says delivered but I do not have it*.
""",
        ),
        "fr": (
            "suivre-mon-colis",
            "Suivre mon colis : que veut dire chaque statut ?",
            "Où trouver votre numéro de suivi et ce que signifient les statuts du transporteur.",
            """
Votre numéro de suivi figure dans l'e-mail de confirmation d'expédition et dans **Mes
commandes**. Saisissez-le sur le site du transporteur (Colissimo, Chronopost, DHL ou UPS), ou
cliquez simplement sur le lien de l'e-mail.

- **Étiquette créée** : le colis est emballé ; le transporteur ne l'a pas encore scanné (jusqu'à 24 heures).
- **En transit** : le colis circule entre les dépôts du transporteur.
- **En cours de livraison** : il arrive aujourd'hui.
- **Tentative de livraison** : personne n'était là ; le transporteur repasse ou dépose le colis
  en bureau de poste ou en point relais, avec un avis dans votre boîte aux lettres.
- **Disponible en retrait** : retirez-le sous 10 jours avec une pièce d'identité, sinon il nous revient.
- **Livré** : si vous ne le trouvez pas, voyez *Mon colis est indiqué livré mais je ne l'ai pas*.
""",
        ),
    },
    {
        "key": "late-parcel",
        "category": "problems",
        "en": (
            "late-parcel",
            "My parcel is late",
            "What to do when your parcel has not arrived by the promised date.",
            """
Carriers sometimes need one or two extra days, especially in December and after public
holidays. When we see that a parcel is late we tell you first, by email or message, with the
new estimate.

1. Check the tracking link: a *delivery attempted* or *available for pickup* status means the
   parcel is waiting for you.
2. If the tracking has not moved for **3 working days**, write to us with your order number.
   We open an inquiry with the carrier, which takes up to 5 working days.
3. If the carrier declares the parcel lost, we send a new one at no cost or refund you, as
   you prefer.
""",
        ),
        "fr": (
            "colis-en-retard",
            "Mon colis est en retard",
            "Que faire quand votre colis n'est pas arrivé à la date promise.",
            """
Les transporteurs ont parfois besoin d'un ou deux jours de plus, surtout en décembre et après
les jours fériés. Quand nous voyons qu'un colis est en retard, nous vous prévenons en premier,
par e-mail ou message, avec la nouvelle estimation.

1. Consultez le lien de suivi : un statut *tentative de livraison* ou *disponible en retrait*
   signifie que le colis vous attend.
2. Si le suivi n'a pas bougé depuis **3 jours ouvrés**, écrivez-nous avec votre numéro de
   commande. Nous ouvrons une enquête auprès du transporteur, qui prend jusqu'à 5 jours ouvrés.
3. Si le transporteur déclare le colis perdu, nous vous renvoyons un colis sans frais ou nous
   vous remboursons, au choix.
""",
        ),
    },
    {
        "key": "lost-parcel",
        "category": "problems",
        "en": (
            "parcel-delivered-not-received",
            "My parcel says delivered but I do not have it",
            "Check these places first, then tell us within 7 days: we open an inquiry.",
            """
First check with your neighbours, your building's reception or caretaker, your letterbox and
any safe place you gave the carrier. Some carriers scan a parcel as delivered a few hours
before it really arrives.

If you still cannot find it, write to us **within 7 days** of the delivery date with your
order number. We open an inquiry with the carrier; if the parcel is declared lost we send a
new one or refund you in full, delivery costs included. We may ask you to sign a short
statement that you did not receive it.
""",
        ),
        "fr": (
            "colis-livre-non-recu",
            "Mon colis est indiqué livré mais je ne l'ai pas",
            "Vérifiez d'abord ces endroits, puis prévenez-nous sous 7 jours : nous ouvrons une enquête.",
            """
Vérifiez d'abord auprès de vos voisins, de l'accueil ou du gardien de votre immeuble, dans
votre boîte aux lettres et à l'endroit sûr éventuellement indiqué au transporteur. Certains
transporteurs scannent un colis comme livré quelques heures avant son arrivée réelle.

Si vous ne le trouvez toujours pas, écrivez-nous **sous 7 jours** après la date de livraison
avec votre numéro de commande. Nous ouvrons une enquête auprès du transporteur ; si le colis
est déclaré perdu, nous vous en renvoyons un ou vous remboursons entièrement, frais de port
compris. Nous pourrons vous demander de signer une courte attestation de non-réception.
""",
        ),
    },
    {
        "key": "damaged-parcel",
        "category": "problems",
        "en": (
            "damaged-parcel",
            "My parcel arrived damaged",
            "Refuse a visibly damaged parcel, or send us photos within 48 hours.",
            """
If the box is visibly crushed, torn or wet, you may **refuse it** from the carrier: it comes
back to us and we send a new one as soon as it is scanned.

If you noticed the damage after opening it, send us within **48 hours** your order number and
photos of the box, the packing and the damaged item. We send a replacement or refund you, as
you prefer; you do not need to send the damaged item back unless we ask.
""",
        ),
        "fr": (
            "colis-abime",
            "Mon colis est arrivé abîmé",
            "Refusez un colis visiblement endommagé, ou envoyez-nous des photos sous 48 heures.",
            """
Si le carton est visiblement écrasé, déchiré ou mouillé, vous pouvez **le refuser** auprès du
livreur : il nous revient et nous renvoyons un colis dès qu'il est scanné.

Si vous avez constaté les dégâts à l'ouverture, envoyez-nous sous **48 heures** votre numéro de
commande et des photos du carton, de l'emballage et de l'article endommagé. Nous renvoyons un
article ou vous remboursons, au choix ; inutile de nous renvoyer l'article abîmé sauf si nous
vous le demandons.
""",
        ),
    },
    {
        "key": "relay-points",
        "category": "delivery",
        "en": (
            "relay-points",
            "Delivery to a relay point",
            "Choose a relay point at checkout and collect your parcel within 10 days with an ID.",
            """
At checkout choose **Relay point** and pick one on the map near your home or work. You get an
email and a text message when the parcel is ready to collect.

- Bring an ID (and the collection code from the message). Someone else may collect it with
  your ID and theirs.
- The parcel waits **10 days**; after that it comes back to us and we refund the order minus
  the delivery costs.
- To change the relay point after ordering, use the link in the carrier's email before the
  parcel reaches it.
""",
        ),
        "fr": (
            "points-relais",
            "Livraison en point relais",
            "Choisissez un point relais à la commande et retirez votre colis sous 10 jours avec une pièce d'identité.",
            """
À la commande, choisissez **Point relais** et sélectionnez-en un sur la carte, près de chez
vous ou de votre travail. Vous recevez un e-mail et un SMS quand le colis est prêt à être
retiré.

- Munissez-vous d'une pièce d'identité (et du code de retrait du message). Un proche peut le
  retirer avec votre pièce d'identité et la sienne.
- Le colis est gardé **10 jours** ; ensuite il nous revient et nous remboursons la commande,
  hors frais de port.
- Pour changer de point relais après la commande, utilisez le lien de l'e-mail du
  transporteur avant que le colis n'y arrive.
""",
        ),
    },
    {
        "key": "international-delivery",
        "category": "delivery",
        "en": (
            "international-delivery",
            "Delivery outside France",
            "We deliver across the European Union, the United Kingdom and Switzerland.",
            """
We deliver to every country of the European Union with DHL (3 to 6 working days), and to the
United Kingdom and Switzerland with UPS (4 to 7 working days).

Outside the European Union, **customs duties and import VAT** may be asked by the carrier on
delivery; they are not included in our prices. We do not deliver to other countries yet.
""",
        ),
        "fr": (
            "livraison-internationale",
            "Livraison hors de France",
            "Nous livrons dans toute l'Union européenne, au Royaume-Uni et en Suisse.",
            """
Nous livrons tous les pays de l'Union européenne avec DHL (3 à 6 jours ouvrés), ainsi que le
Royaume-Uni et la Suisse avec UPS (4 à 7 jours ouvrés).

Hors Union européenne, des **droits de douane et une TVA à l'importation** peuvent être
demandés par le transporteur à la livraison ; ils ne sont pas compris dans nos prix. Nous ne
livrons pas encore d'autres pays.
""",
        ),
    },
    {
        "key": "returns-and-refunds",
        "category": "returns",
        "en": (
            "returns-and-refunds",
            "Returns and refunds",
            "You have 30 days to return an item with the prepaid label from your account.",
            """
You have **30 days** from delivery to return an item, unused and in its original packing.

1. In your account, open **My orders**, choose the order and click **Return an item**.
2. Print the **prepaid label** (free in France; 6.90 EUR deducted from the refund elsewhere).
3. Drop the parcel at a post office or relay point and keep the receipt.

Candles that were lit, opened tea and socks that were worn cannot be returned, for hygiene
reasons. Once we receive your return we refund you within 5 working days.
""",
        ),
        "fr": (
            "retours-et-remboursements",
            "Retours et remboursements",
            "Vous avez 30 jours pour retourner un article avec l'étiquette prépayée de votre compte.",
            """
Vous avez **30 jours** après la livraison pour retourner un article, non utilisé et dans son
emballage d'origine.

1. Dans votre compte, ouvrez **Mes commandes**, choisissez la commande et cliquez sur
   **Retourner un article**.
2. Imprimez l'**étiquette prépayée** (gratuite en France ; 6,90 EUR déduits du remboursement
   ailleurs).
3. Déposez le colis en bureau de poste ou en point relais et gardez le reçu.

Les bougies allumées, le thé ouvert et les chaussettes portées ne sont ni repris ni échangés,
pour des raisons d'hygiène. Dès réception de votre retour, nous vous remboursons sous 5 jours
ouvrés.
""",
        ),
    },
    {
        "key": "refund-delays",
        "category": "returns",
        "en": (
            "refund-delays",
            "When will I get my refund?",
            "Refunds are made within 5 working days of receiving your return, to the payment method used.",
            """
We refund within **5 working days** of receiving your return, to the card, PayPal account or
bank account you paid with. You receive an email when the refund is made.

- A card refund then takes 3 to 5 more working days to show on your statement, depending on
  your bank.
- A PayPal refund shows within 24 hours.
- Delivery costs are refunded only if you return the whole order, or if the item was faulty,
  damaged or wrong.

If 10 working days have passed since the carrier delivered your return, write to us with the
return's tracking number.
""",
        ),
        "fr": (
            "delais-de-remboursement",
            "Quand serai-je remboursé ?",
            "Le remboursement est fait sous 5 jours ouvrés après réception du retour, sur le moyen de paiement utilisé.",
            """
Nous remboursons sous **5 jours ouvrés** après réception de votre retour, sur la carte, le
compte PayPal ou le compte bancaire utilisé pour payer. Un e-mail vous prévient du
remboursement.

- Un remboursement par carte met ensuite 3 à 5 jours ouvrés à apparaître sur votre relevé,
  selon votre banque.
- Un remboursement PayPal apparaît sous 24 heures.
- Les frais de port ne sont remboursés que si vous retournez toute la commande, ou si
  l'article était défectueux, abîmé ou erroné.

Si 10 jours ouvrés se sont écoulés depuis la livraison de votre retour, écrivez-nous avec le
numéro de suivi du retour.
""",
        ),
    },
    {
        "key": "exchanges",
        "category": "returns",
        "en": (
            "exchanges",
            "Exchanging an item (size, colour)",
            "Ask for an exchange from your account: we ship the new item as soon as yours is on its way back.",
            """
To exchange an item for another size or colour, open **My orders**, choose the item and click
**Exchange**. Choose the new size or colour and print the prepaid label.

We ship the new item **as soon as the carrier scans your return**, at no extra delivery cost.
If the new item costs more, you pay the difference; if it costs less, we refund it. If it is
out of stock we refund you instead.
""",
        ),
        "fr": (
            "echanger-un-article",
            "Échanger un article (taille, couleur)",
            "Demandez un échange depuis votre compte : le nouvel article part dès que le vôtre est en route.",
            """
Pour échanger un article contre une autre taille ou couleur, ouvrez **Mes commandes**,
choisissez l'article et cliquez sur **Échanger**. Choisissez la nouvelle taille ou couleur et
imprimez l'étiquette prépayée.

Nous expédions le nouvel article **dès que le transporteur scanne votre retour**, sans frais de
port supplémentaires. S'il coûte plus cher, vous réglez la différence ; s'il coûte moins cher,
nous la remboursons. S'il est en rupture de stock, nous vous remboursons.
""",
        ),
    },
    {
        "key": "wrong-or-missing-item",
        "category": "problems",
        "en": (
            "wrong-or-missing-item",
            "An item is missing or wrong",
            "Tell us within 7 days with a photo: we send the right item at once.",
            """
Some orders ship in several parcels: check your shipping emails, a second tracking number may
be on its way.

If an item is missing from the parcel or is not the one you ordered, write to us **within 7
days** with your order number and a photo of what you received and of the delivery note. We
send the right item at once, at no cost, with a prepaid label to return the wrong one.
""",
        ),
        "fr": (
            "article-manquant-ou-errone",
            "Un article manque ou ne correspond pas",
            "Prévenez-nous sous 7 jours avec une photo : nous envoyons aussitôt le bon article.",
            """
Certaines commandes partent en plusieurs colis : vérifiez vos e-mails d'expédition, un second
numéro de suivi est peut-être en route.

Si un article manque dans le colis ou n'est pas celui commandé, écrivez-nous **sous 7 jours**
avec votre numéro de commande et une photo de ce que vous avez reçu et du bon de livraison.
Nous envoyons aussitôt le bon article, sans frais, avec une étiquette prépayée pour renvoyer
l'autre.
""",
        ),
    },
    {
        "key": "change-an-order",
        "category": "orders",
        "en": (
            "change-an-order",
            "Changing an order (address, items)",
            "An order can be changed until it is being prepared, usually within the hour.",
            """
You can change the delivery address, an item's size or colour, or add an item **until the
order is being prepared**, usually within an hour of ordering (orders placed at night are
prepared from 8 am).

Write to us as soon as possible with your order number and the change. Once the order is
packed we can no longer change it: for an address, use the link in the carrier's email to
redirect the parcel; for an item, ask for an exchange when it arrives.
""",
        ),
        "fr": (
            "modifier-ma-commande",
            "Modifier une commande (adresse, articles)",
            "Une commande peut être modifiée tant qu'elle n'est pas en préparation, en général dans l'heure.",
            """
Vous pouvez changer l'adresse de livraison, la taille ou la couleur d'un article, ou en
ajouter un **tant que la commande n'est pas en préparation**, en général dans l'heure qui
suit (les commandes de nuit sont préparées à partir de 8 h).

Écrivez-nous au plus vite avec votre numéro de commande et la modification. Une fois la
commande emballée, nous ne pouvons plus la modifier : pour l'adresse, utilisez le lien de
l'e-mail du transporteur pour rediriger le colis ; pour un article, demandez un échange à la
réception.
""",
        ),
    },
    {
        "key": "cancel-an-order",
        "category": "orders",
        "en": (
            "cancel-an-order",
            "Cancelling an order",
            "Cancel from your account until the order is packed; after that, return it for free.",
            """
Until your order is packed, open **My orders** and click **Cancel the order**: you are
refunded in full within 3 working days.

Once it has shipped it can no longer be cancelled, but you can refuse the parcel or return it
within 30 days (see *Returns and refunds*). The refund then follows the usual delays.
""",
        ),
        "fr": (
            "annuler-ma-commande",
            "Annuler une commande",
            "Annulez depuis votre compte tant que la commande n'est pas emballée ; ensuite, retournez-la gratuitement.",
            """
Tant que votre commande n'est pas emballée, ouvrez **Mes commandes** et cliquez sur **Annuler
la commande** : vous êtes remboursé entièrement sous 3 jours ouvrés.

Une fois expédiée, elle ne peut plus être annulée, mais vous pouvez refuser le colis ou le
retourner sous 30 jours (voir *Retours et remboursements*). Le remboursement suit alors les
délais habituels.
""",
        ),
    },
    {
        "key": "payment-methods",
        "category": "payment",
        "en": (
            "payment-methods",
            "Payment methods",
            "Visa, Mastercard, American Express, PayPal, bank transfer, and payment in 3 instalments.",
            """
We accept **Visa, Mastercard, American Express** and **PayPal**, and bank transfer for orders
over 300 EUR. From 100 EUR you may pay in **3 instalments** with no fees by card.

Card payments are protected by 3-D Secure: your bank may ask you to confirm in its app or
with a code sent by text message. We never see nor keep your card number.

Your card is charged when you order. For a bank transfer, your order is prepared once the
money arrives (1 to 2 working days).
""",
        ),
        "fr": (
            "moyens-de-paiement",
            "Moyens de paiement",
            "Visa, Mastercard, American Express, PayPal, virement, et paiement en 3 fois.",
            """
Nous acceptons **Visa, Mastercard, American Express** et **PayPal**, ainsi que le virement
bancaire pour les commandes de plus de 300 EUR. Dès 100 EUR, vous pouvez payer **en 3 fois**
sans frais par carte.

Les paiements par carte sont protégés par 3-D Secure : votre banque peut vous demander de
confirmer dans son application ou avec un code reçu par SMS. Nous ne voyons ni ne gardons
jamais votre numéro de carte.

Votre carte est débitée à la commande. Pour un virement, la commande est préparée dès
réception des fonds (1 à 2 jours ouvrés).
""",
        ),
    },
    {
        "key": "payment-refused",
        "category": "payment",
        "en": (
            "payment-refused",
            "My payment was refused",
            "Why a card payment fails and how to pay anyway; you are never charged for a refused payment.",
            """
When a payment is refused, **nothing is charged** and the order is not placed. The usual
reasons:

- the 3-D Secure confirmation was not made in time (5 minutes) in your bank's app;
- the card's **online or weekly spending limit** is reached: your bank can raise it;
- the expiry date or security code was mistyped;
- the card is not yet activated for online payments.

Try again, or pay with PayPal. If your bank shows a pending amount for a refused payment, it
disappears by itself within a few days.
""",
        ),
        "fr": (
            "paiement-refuse",
            "Mon paiement a été refusé",
            "Pourquoi un paiement par carte échoue et comment payer malgré tout ; un paiement refusé n'est jamais débité.",
            """
Quand un paiement est refusé, **rien n'est débité** et la commande n'est pas passée. Les
raisons les plus courantes :

- la validation 3-D Secure n'a pas été faite à temps (5 minutes) dans l'application de votre banque ;
- le **plafond de paiement en ligne ou hebdomadaire** de la carte est atteint : votre banque
  peut le relever ;
- la date d'expiration ou le cryptogramme a été mal saisi ;
- la carte n'est pas encore activée pour les paiements en ligne.

Réessayez, ou payez avec PayPal. Si votre banque affiche un montant en attente pour un
paiement refusé, il disparaît de lui-même sous quelques jours.
""",
        ),
    },
    {
        "key": "invoices",
        "category": "payment",
        "en": (
            "invoices",
            "Getting an invoice",
            "Download your invoice from your account once the order has shipped.",
            """
Your invoice is ready once your order ships: open **My orders**, choose the order and click
**Download the invoice** (PDF). It shows the VAT of each item.

For a company invoice, add the company name and VAT number in **My account > Addresses**
before ordering. An invoice cannot be changed after it is issued; for a mistake, write to us
and we issue a credit note and a new invoice.
""",
        ),
        "fr": (
            "factures",
            "Obtenir une facture",
            "Téléchargez votre facture depuis votre compte dès l'expédition de la commande.",
            """
Votre facture est disponible dès l'expédition : ouvrez **Mes commandes**, choisissez la
commande et cliquez sur **Télécharger la facture** (PDF). Elle indique la TVA de chaque article.

Pour une facture au nom d'une société, indiquez sa raison sociale et son numéro de TVA dans
**Mon compte > Adresses** avant de commander. Une facture émise ne peut plus être modifiée ;
en cas d'erreur, écrivez-nous : nous émettons un avoir et une nouvelle facture.
""",
        ),
    },
    {
        "key": "account-and-password",
        "category": "account",
        "en": (
            "account-and-password",
            "Account and password",
            "Reset a forgotten password, change your email address, or delete your account.",
            """
**Forgotten password**: on the login page click **Forgotten password?** and enter your email
address. The link we send is valid for one hour; check your spam folder if it does not
arrive within a few minutes.

**Change your email address or password**: in **My account > Login details**.

**Ordering without an account** is possible; to see that order in an account later, create
one with the same email address.

**Delete your account**: write to us from the account's email address. We delete your data
within 30 days, except the invoices that the law requires us to keep.
""",
        ),
        "fr": (
            "compte-et-mot-de-passe",
            "Compte et mot de passe",
            "Réinitialiser un mot de passe oublié, changer d'adresse e-mail ou supprimer votre compte.",
            """
**Mot de passe oublié** : sur la page de connexion, cliquez sur **Mot de passe oublié ?** et
saisissez votre adresse e-mail. Le lien envoyé est valable une heure ; vérifiez vos spams
s'il n'arrive pas sous quelques minutes.

**Changer d'adresse e-mail ou de mot de passe** : dans **Mon compte > Identifiants**.

**Commander sans compte** est possible ; pour retrouver cette commande dans un compte plus
tard, créez-le avec la même adresse e-mail.

**Supprimer votre compte** : écrivez-nous depuis l'adresse e-mail du compte. Nous supprimons
vos données sous 30 jours, sauf les factures que la loi nous oblige à conserver.
""",
        ),
    },
    {
        "key": "contact-us",
        "category": "account",
        "en": (
            "contact-us",
            "Contacting customer service",
            "Chat, email, text message or Telegram: Monday to Friday, 9 am to 6 pm.",
            """
Our team answers **Monday to Friday, 9 am to 6 pm** (Paris time), usually within the hour in
the chat and within one working day by email.

- **Chat**: the bubble at the bottom right of every page.
- **Email**: reply to any of our emails, or write to support.
- **Text message, WhatsApp or Telegram**: the numbers are in your order confirmation.

Give us your **order number** (it starts with the shop's prefix and is in every email) so
that we can answer straight away.
""",
        ),
        "fr": (
            "nous-contacter",
            "Contacter le service client",
            "Chat, e-mail, SMS ou Telegram : du lundi au vendredi, de 9 h à 18 h.",
            """
Notre équipe répond **du lundi au vendredi, de 9 h à 18 h**, en général dans l'heure sur le
chat et sous un jour ouvré par e-mail.

- **Chat** : la bulle en bas à droite de chaque page.
- **E-mail** : répondez à l'un de nos e-mails, ou écrivez au support.
- **SMS, WhatsApp ou Telegram** : les numéros figurent dans votre confirmation de commande.

Donnez-nous votre **numéro de commande** (il figure dans chaque e-mail) pour que nous
puissions répondre tout de suite.
""",
        ),
    },
    {
        "key": "agents-carrier-inquiry",
        "category": "problems",
        "internal": True,
        "en": (
            "agents-carrier-inquiry",
            "Agents: opening a carrier inquiry",
            "Internal: when and how to open an inquiry for a late or lost parcel.",
            """
Open an inquiry when the tracking has not moved for 3 working days (5 for DHL and UPS), or
when a customer reports a delivered parcel they did not receive.

1. Colissimo and Chronopost: the carrier's professional portal, *Réclamation*; DHL and UPS:
   the account manager's form.
2. Note the inquiry number as an internal note on the ticket and set the ticket to *pending*.
3. Without an answer in 5 working days, reship or refund without waiting (up to 150 EUR
   without a manager's approval).
""",
        ),
        "fr": (
            "agents-enquete-transporteur",
            "Agents : ouvrir une enquête transporteur",
            "Interne : quand et comment ouvrir une enquête pour un colis en retard ou perdu.",
            """
Ouvrez une enquête quand le suivi n'a pas bougé depuis 3 jours ouvrés (5 pour DHL et UPS), ou
quand un client signale un colis livré qu'il n'a pas reçu.

1. Colissimo et Chronopost : portail professionnel du transporteur, *Réclamation* ; DHL et
   UPS : formulaire du chargé de compte.
2. Notez le numéro d'enquête en note interne sur le ticket et passez le ticket *en attente*.
3. Sans réponse sous 5 jours ouvrés, renvoyez ou remboursez sans attendre (jusqu'à 150 EUR
   sans accord d'un responsable).
""",
        ),
    },
]
