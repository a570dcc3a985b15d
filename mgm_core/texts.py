"""The product's exact texts, defined once (ebs-contract.md §8.4).

The addon, the Desktop bridge, the WoW simulator and the Helix announcement all
import these; nothing else spells them out.
"""

WINNER_WHISPER = (
    "Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды"
    " - ответь на это сообщение одной фразой: !twgold"
)
MAIL_COMPLETION_WHISPER = "Награда отправлена тебе на почту, проверяй ящик!"
GIFT_CONFIRMATION_WHISPER = "Тебе выбран подарок! Для подтверждения ответь одной фразой: !twgift"
REWARD_SENT_ANNOUNCEMENT = "Награда отправлена персонажу {character_name} на почту, проверяй ящик!"
MAIL_SUBJECT = "Mimiron's Gold-o-Matic"


def reward_sent_announcement(character_name: str) -> str:
    """The Twitch chat line announcing that ``character_name``'s gold was mailed."""
    return REWARD_SENT_ANNOUNCEMENT.format(character_name=character_name)
