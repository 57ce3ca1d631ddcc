"""Phrase banks and templates of the synthetic support tickets.

Two eras of the same helpdesk. Before the launch, customers of an online shop
write about billing, technical, account and shipping problems in the words
each team is used to. After the launch of the "Aurora" smart speaker and its
"Aurora Plus" membership, the same four teams get tickets in new words, and
the cues a classifier learned before the launch point the wrong way: an
account-linking bug of the speaker reads like an account ticket but belongs
to the technical team, a membership that renewed by surprise reads like an
account ticket but belongs to billing, and so on. That is the drift a model
trained before the launch cannot see through, and one retrained on labelled
post-launch tickets can.

Templates use ``{slot}`` placeholders; a slot names a list in ``SLOTS`` (or
in the category's own slots), from which the generator draws one entry.
"""

CATEGORIES = ("billing", "technical", "account", "shipping")

GREETINGS = (
    "Hi,",
    "Hello,",
    "Hi there,",
    "Good morning,",
    "Dear support,",
    "Hey team,",
    "To whom it may concern,",
    "",
    "",
)

CLOSINGS = (
    "Thanks.",
    "Thank you in advance.",
    "Please help.",
    "Regards,",
    "Cheers",
    "Looking forward to your reply.",
    "This is really frustrating.",
    "Can someone get back to me today?",
    "",
    "",
)

# Filler every team sees: it carries no signal and keeps the task honest.
FILLERS = (
    "I have been a customer for {years} years.",
    "I already tried contacting you by chat.",
    "My order number is {order}.",
    "I am writing from my phone so sorry for typos.",
    "This happened again {when}.",
    "Please let me know what you need from me.",
    "I attached a screenshot.",
    "",
    "",
    "",
)

SLOTS = {
    "amount": ("$12.99", "$49.00", "$129.95", "$8.50", "$299", "$64.20", "EUR 35", "GBP 18.40"),
    "order": ("#48213", "#77120", "#10394", "#55821", "#90012", "#31877", "#62450", "#20931"),
    "when": ("yesterday", "this morning", "last week", "on Monday", "two days ago", "over the weekend"),
    "years": ("two", "three", "five", "several", "many"),
    "days": ("three", "five", "ten", "two", "seven"),
    "old_product": (
        "the mobile app",
        "the website",
        "the desktop client",
        "my laptop order",
        "the coffee grinder",
        "the headphones",
        "the office chair",
    ),
}

# Pre-launch: each category in its usual words.
PRE = {
    "billing": {
        "templates": (
            "I was {charged} twice for the same order and need a {refund}.",
            "My {card} was {charged} {amount} but I never received an {invoice}.",
            "The {invoice} shows the wrong {price}, please correct the {charge}.",
            "My {payment} failed even though the {card} is valid.",
            "Please {refund} the {charge} of {amount} from {when}.",
            "Why was I {charged} {amount} for {old_product}? That is not the {price} I agreed to.",
            "The discount code was not applied and I paid the full {price}.",
            "I need a {receipt} with VAT for my company {invoice}.",
            "There is an unknown {charge} of {amount} on my {statement}.",
        ),
        "slots": {
            "charged": ("charged", "billed", "overcharged", "debited"),
            "refund": ("refund", "reimbursement", "chargeback", "money back"),
            "card": ("credit card", "debit card", "bank card", "PayPal balance"),
            "invoice": ("invoice", "bill", "receipt", "billing statement"),
            "price": ("price", "amount", "total", "fee"),
            "charge": ("charge", "payment", "transaction", "debit"),
            "payment": ("payment", "card payment", "direct debit", "transaction"),
            "receipt": ("receipt", "invoice", "tax invoice"),
            "statement": ("bank statement", "card statement", "billing history"),
        },
    },
    "technical": {
        "templates": (
            "{old_product} keeps {crashing} when I open the {screen}.",
            "I get {error} every time I try to {action}.",
            "After the last {update} {old_product} is {slow} and {crashing}.",
            "The {screen} will not load, it shows {error}.",
            "Syncing fails with {error} since {when}.",
            "{old_product} {freezes} when I {action}, I already reinstalled it.",
            "Is there a known {bug} with the {screen}? It {freezes} constantly.",
            "The page is blank in my browser and the console shows {error}.",
        ),
        "slots": {
            "crashing": ("crashing", "freezing", "closing itself", "hanging"),
            "freezes": ("freezes", "crashes", "hangs", "stops responding"),
            "error": ("error 500", "error code E42", "a timeout error", "an unexpected error", "error 0x80070005"),
            "action": ("upload a file", "export a report", "open settings", "search", "save my changes"),
            "update": ("update", "upgrade", "release", "patch"),
            "slow": ("very slow", "laggy", "unusable", "sluggish"),
            "screen": ("dashboard", "settings page", "search results", "checkout page", "report view"),
            "bug": ("bug", "glitch", "defect", "issue"),
        },
    },
    "account": {
        "templates": (
            "I am {locked} of my {account} after too many {login} attempts.",
            "The {password} reset email never arrives.",
            "Please change the {email} on my {account}.",
            "I want to {delete} my {account} and all my data.",
            "My {twofa} codes are not accepted when I {login}.",
            "Someone else may have accessed my {account}, please {secure} it.",
            "I cannot {login} because my {username} is not recognised.",
            "How do I update my {profile} and {email}?",
            "I need to {verify} my identity but the {verification} link expired.",
        ),
        "slots": {
            "locked": ("locked out", "blocked", "shut out", "suspended"),
            "account": ("account", "profile", "customer account", "user account"),
            "login": ("login", "sign in", "log in", "sign-in"),
            "password": ("password", "passcode", "login password"),
            "email": ("email address", "username", "contact email", "login email"),
            "delete": ("delete", "close", "deactivate", "remove"),
            "twofa": ("two-factor", "2FA", "authenticator", "security"),
            "secure": ("secure", "lock", "protect", "freeze"),
            "username": ("username", "email address", "user name", "login name"),
            "profile": ("profile", "account details", "personal details", "profile picture"),
            "verify": ("verify", "confirm", "validate"),
            "verification": ("verification", "confirmation", "activation"),
        },
    },
    "shipping": {
        "templates": (
            "My {package} has not {arrived} and the {tracking} has not updated for {days} days.",
            "The {courier} says {delivered} but there is nothing at my door.",
            "{old_product} {arrived} {damaged}, the box was crushed.",
            "Can I change the {address} for order {order}? It has not {dispatched} yet.",
            "The {tracking} number does not work on the {courier} website.",
            "My {package} is stuck in customs for {days} days.",
            "I received the wrong item in my {package}.",
            "When will order {order} ship? It was supposed to {arrive} {when}.",
        ),
        "slots": {
            "package": ("package", "parcel", "delivery", "shipment", "order"),
            "arrived": ("arrived", "been delivered", "shown up", "come"),
            "arrive": ("arrive", "be delivered", "ship", "show up"),
            "tracking": ("tracking", "tracking number", "shipment status", "delivery status"),
            "courier": ("courier", "carrier", "DHL driver", "UPS", "postman"),
            "delivered": ("delivered", "left at the door", "handed over", "dropped off"),
            "damaged": ("damaged", "broken", "scratched", "dented"),
            "address": ("delivery address", "shipping address", "address", "postcode"),
            "dispatched": ("shipped", "been dispatched", "left the warehouse", "been sent"),
        },
    },
}

# Post-launch: the Aurora speaker and the Aurora Plus membership. The
# "templates" of each category lean on cue words the pre-launch tickets used
# for another team (see the module docstring), plus words nobody used before
# the launch; the "plain" ones talk about the new product in the team's usual
# words. The generator draws from both (PLAIN_SHARE), so a model trained
# before the launch still gets part of the new traffic right.
POST = {
    "billing": {
        "templates": (
            "My Aurora Plus {membership} {renewed} and I want to {cancel} the {account} {plan}.",
            "The free {trial} of Aurora Plus turned into a paid {plan} without any notice, please {cancel} it on my {account}.",
            "I {upgraded} my {account} to the Aurora Plus family {plan} but I still see the old {tier}.",
            "Aurora Plus {renewed} on my {account} {when}, can you {cancel} the {membership}?",
            "Why does my {account} show two Aurora Plus {membership} {plan}s? I only want one {tier}.",
            "The Aurora instalment {plan} is linked to the wrong {account}, please move the {membership}.",
            "I {cancel}ed Aurora Plus on my {account} but the {membership} still {renewed}.",
        ),
        "plain": (
            "I was {charged} {amount} for Aurora Plus and want a {refund}.",
            "The {invoice} for my Aurora Plus {membership} shows the wrong {price}.",
            "My {card} was {charged} twice for the Aurora Plus {membership}, please {refund} one {charge}.",
            "There is an Aurora Plus {charge} of {amount} on my {statement} that I do not recognise.",
        ),
        "slots": {
            "charged": ("charged", "billed", "overcharged"),
            "refund": ("refund", "reimbursement", "money back"),
            "invoice": ("invoice", "bill", "receipt"),
            "price": ("price", "amount", "total"),
            "card": ("credit card", "debit card", "bank card"),
            "charge": ("charge", "payment", "transaction"),
            "statement": ("bank statement", "card statement", "billing history"),
            "membership": ("membership", "subscription pass", "Plus pass", "membership tier"),
            "renewed": ("auto-renewed", "renewed", "rolled over", "extended itself"),
            "cancel": ("cancel", "stop", "end", "terminate"),
            "plan": ("plan", "bundle", "tier", "pass"),
            "trial": ("trial", "trial month", "30-day trial", "intro offer"),
            "upgraded": ("upgraded", "switched", "moved", "changed"),
            "tier": ("tier", "plan", "bundle", "level"),
            "account": ("account", "profile", "user account", "login"),
        },
    },
    "technical": {
        "templates": (
            "The Aurora speaker will not {pair} and asks me to {login} to my {account} again and again.",
            "Linking my {account} in the Aurora app fails, the {verification} code is never accepted.",
            "Aurora {firmware} {stuck} at 80 percent and then I am {locked} of the {account} screen.",
            "After {setup} the Aurora keeps saying my {password} is wrong, but it works everywhere else.",
            "The voice assistant on Aurora says {account} not {verified} when I {login} with my {email}.",
            "Aurora drops off the {wifi} and then asks for my {password} again.",
            "My Aurora shows a {led} light and will not {pair} with my {account}.",
        ),
        "plain": (
            "The Aurora app keeps {crashing} after the {update}.",
            "Aurora shows {error} every time I try to play music.",
            "The Aurora speaker {freezes} and the app is {slow} since {when}.",
            "Is there a known {bug} with Aurora? It {freezes} during {setup}.",
        ),
        "slots": {
            "crashing": ("crashing", "freezing", "closing itself"),
            "freezes": ("freezes", "crashes", "hangs"),
            "error": ("error 500", "error code E42", "a timeout error", "an unexpected error"),
            "update": ("update", "upgrade", "release", "patch"),
            "slow": ("very slow", "laggy", "unusable"),
            "bug": ("bug", "glitch", "defect", "issue"),
            "pair": ("pair", "connect", "sync", "link up"),
            "login": ("log in", "sign in", "login", "re-authenticate"),
            "account": ("account", "profile", "user account"),
            "verification": ("verification", "confirmation", "two-factor", "security"),
            "firmware": ("firmware update", "software update", "update", "firmware"),
            "stuck": ("is stuck", "hangs", "stalls", "freezes"),
            "locked": ("locked out", "kicked out", "logged out", "thrown out"),
            "setup": ("setup", "the first setup", "a factory reset", "installation"),
            "password": ("password", "wifi password", "PIN", "passcode"),
            "verified": ("verified", "recognised", "confirmed", "authorised"),
            "email": ("email address", "username", "login email"),
            "wifi": ("wifi", "home network", "wireless network", "router"),
            "led": ("red", "blinking orange", "flashing", "purple"),
        },
    },
    "account": {
        "templates": (
            "The Aurora app shows an {error} when I try to add a {household} {member}.",
            "I want to {transfer} my Aurora to my {member}, the app {crashes} on the {screen}.",
            "The {household} {screen} in the Aurora app {crashes} every time I {rename} a {member}.",
            "Voice {profile} of my {member} is gone after the {update}, the Aurora app gives an {error}.",
            "How do I {remove} a {member} from the {household} on Aurora? The {screen} is blank.",
            "The Aurora app {crashes} when I {rename} my {household}.",
            "I get an {error} when I {transfer} ownership of the Aurora speaker to my {member}.",
        ),
        "plain": (
            "Please change the {email} on the {profile} my Aurora uses.",
            "I am {locked_out} of my {profile} since I set up the Aurora.",
            "The {password} reset email for my Aurora {profile} never arrives.",
            "I want to {delete} my {profile} and the data my Aurora collected.",
        ),
        "slots": {
            "email": ("email address", "username", "contact email"),
            "locked_out": ("locked out", "blocked", "shut out"),
            "password": ("password", "passcode", "login password"),
            "delete": ("delete", "close", "deactivate"),
            "error": ("error", "error code", "unexpected error", "error 500"),
            "household": ("household", "family group", "home group", "family"),
            "member": ("partner", "daughter", "son", "flatmate", "family member"),
            "transfer": ("transfer", "hand over", "give", "move"),
            "crashes": ("crashes", "freezes", "hangs", "closes"),
            "screen": ("settings page", "members page", "household page", "dashboard"),
            "rename": ("rename", "edit", "invite", "add"),
            "profile": ("profile", "voice profile", "voice match", "voice ID"),
            "update": ("update", "latest release", "upgrade", "patch"),
            "remove": ("remove", "kick", "delete", "take off"),
        },
    },
    "shipping": {
        "templates": (
            "I was {charged} {amount} for my Aurora {preorder} but there is no {eta} yet.",
            "My Aurora {preorder} {payment} went through {when}, when does the {launch} {batch} go out?",
            "The {launch} {batch} of Aurora {slipped}, can I keep my {preorder} {deposit}?",
            "I paid the {deposit} for an Aurora {preorder}, the {invoice} says {backorder}.",
            "Aurora {backorder}: I was {charged} but the {eta} keeps moving.",
            "Is my Aurora in the first {batch}? The {invoice} for the {preorder} says {amount}.",
            "The Aurora {preorder} was {charged} twice and the {eta} is still {backorder}.",
        ),
        "plain": (
            "My Aurora {package} has not {arrived} and the {tracking} has not updated for {days} days.",
            "The {courier} says my Aurora was {delivered} but there is nothing at my door.",
            "My Aurora {arrived} {damaged}, the box was crushed.",
            "Can I change the {address} for my Aurora order {order}?",
        ),
        "slots": {
            "package": ("package", "parcel", "delivery", "shipment"),
            "arrived": ("arrived", "been delivered", "shown up"),
            "tracking": ("tracking", "tracking number", "delivery status"),
            "courier": ("courier", "carrier", "DHL driver", "UPS"),
            "delivered": ("delivered", "left at the door", "dropped off"),
            "damaged": ("damaged", "broken", "scratched"),
            "address": ("delivery address", "shipping address", "address"),
            "days": ("three", "five", "ten"),
            "charged": ("charged", "billed", "debited"),
            "preorder": ("pre-order", "preorder", "reservation", "early order"),
            "eta": ("delivery date", "ETA", "release date", "ship date"),
            "payment": ("payment", "card payment", "deposit"),
            "launch": ("launch", "launch day", "first wave", "release"),
            "batch": ("batch", "wave", "allocation", "stock"),
            "slipped": ("slipped", "is delayed", "was pushed back", "moved"),
            "deposit": ("deposit", "down payment", "prepayment"),
            "invoice": ("invoice", "receipt", "order confirmation"),
            "backorder": ("backordered", "on backorder", "awaiting stock", "pending allocation"),
        },
    },
}
