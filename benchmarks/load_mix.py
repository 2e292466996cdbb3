"""The traffic of `make bench-load`: virtual citizens, each a short scripted conversation.

Pure and deterministic for a seed (tests/benchmarks_load checks the proportions). Every citizen is
a distinct conversation (its own web sender id or Zalo user id) and says 1 to 4 messages in order:
a procedure question and its follow-up about the same procedure (with or without diacritics), a
former-unit question, a dossier lookup (code, then the last four digits of the phone, against the
synthetic demo dossiers), or small talk. The questions are written here, in the words citizens
use, not read from the NLU training data or the tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from servicedesk.dossiers.seed import SEED_PATH

WEB = "web"
ZALO = "zalo"

# (with diacritics, as citizens type them without) — procedures of the seed catalogue.
PROCEDURES: list[tuple[str, str]] = [
    ("đăng ký khai sinh", "dang ky khai sinh"),
    ("đăng ký kết hôn", "dk ket hon"),
    ("đăng ký tạm trú", "dang ky tam tru"),
    ("đăng ký thường trú", "dang ky thuong tru"),
    ("chứng thực bản sao", "chung thuc ban sao"),
    ("phiếu lý lịch tư pháp", "lam ly lich tu phap"),
    ("làm sổ đỏ lần đầu", "lam so do lan dau"),
    ("đăng ký khai tử", "dang ky khai tu"),
    ("đăng ký hộ kinh doanh", "dang ky ho kinh doanh"),
    ("xin giấy phép xây dựng nhà ở", "xin giay phep xay dung nha o"),
    ("xác nhận tình trạng hôn nhân", "xac nhan tinh trang hon nhan"),
    ("đăng ký giám hộ", "dang ky giam ho"),
]

# First questions about a procedure ({p}), then follow-ups that name no procedure: the assistant
# must keep the one of the conversation (the slot), as a citizen expects.
ASK_WITH = [
    "{p} cần giấy tờ gì",
    "cho em hỏi làm {p} mất bao lâu ạ",
    "lệ phí {p} bao nhiêu",
    "{p} nộp hồ sơ ở đâu vậy",
    "thủ tục {p} gồm những bước nào",
    "{p} có nộp online được không ạ",
]
ASK_WITHOUT = [
    "{p} can giay to gi",
    "cho em hoi {p} mat bao lau a",
    "le phi {p} bao nhieu",
    "{p} nop ho so o dau vay",
    "thu tuc {p} gom nhung buoc nao",
    "{p} co nop online duoc khong",
]
FOLLOW_WITH = [
    "còn lệ phí thì sao ạ",
    "mất bao lâu thì có kết quả",
    "nộp ở đâu vậy ạ",
    "có làm online được không",
    "cần mang theo giấy tờ gì nữa",
]
FOLLOW_WITHOUT = [
    "con le phi thi sao a",
    "bao lau thi co ket qua",
    "nop o dau vay ad",
    "co lam online duoc khong",
    "can mang theo giay to gi nua",
]
UNIT_QUESTIONS = [
    "phường Bến Nghé quận 1 giờ thuộc phường nào",
    "phuong 5 quan 3 sau sap nhap la phuong gi",
    "phường Kim Mã quận Ba Đình cũ giờ thuộc phường nào",
    "xa Nam Cao huyen Kien Xuong bay gio la xa gi",
    "tỉnh Hà Giang sáp nhập với tỉnh nào",
    "thi tran Trau Quy huyen Gia Lam gio thuoc dau",
    "phường Dịch Vọng quận Cầu Giấy sau 1/7 là phường gì",
    "dia chi cu phuong Khuong Trung quan Thanh Xuan gio ghi the nao",
]
OFFICE_QUESTIONS = ["ủy ban phường mới ở đâu ạ", "trung tam hanh chinh cong gan nhat o dau"]
DOSSIER_OPENINGS = ["tra cứu hồ sơ", "kiem tra tinh trang ho so", "cho em xem hồ sơ đã nộp tới đâu rồi"]
DOSSIER_UP_FRONT = ["tra cứu hồ sơ {code} giúp em", "ho so {code} sao roi"]
GREETINGS = ["xin chào", "chào ad", "alo ad oi", "chào bạn ạ"]
SMALL_TALK = ["bạn là người thật hay máy vậy", "ban la robot a", "hôm nay có làm việc không ad"]
THANKS = ["cảm ơn nhiều ạ", "cam on ad", "ok cảm ơn bạn"]
GOODBYES = ["tạm biệt", "bye ad", "chào nhé"]

# What each kind of conversation weighs in the mix (sums to 1).
KIND_WEIGHTS: dict[str, float] = {
    "procedure": 0.40,  # question + follow-up (+ thanks): half with, half without diacritics
    "greet_procedure": 0.15,  # greeting, a procedure question, goodbye
    "unit_change": 0.15,  # former unit -> current unit (+ where is the office)
    "dossier": 0.15,  # dossier lookup: code, last four digits
    "small_talk": 0.15,
}
ZALO_SHARE = 0.25  # share of citizens writing through the Zalo OA (the rest: the web widget)


@dataclass(frozen=True)
class Dossier:
    code: str
    last_four: str


@dataclass(frozen=True)
class Citizen:
    index: int
    channel: str  # WEB or ZALO
    kind: str
    messages: tuple[str, ...]

    def web_sender(self, run: int) -> str:
        """The web conversation id, distinct per citizen and per run."""
        return f"web-load-{run}-{self.index}"

    def zalo_user(self, run: int) -> str:
        """A Zalo user id (digits, as Zalo's are), distinct per citizen and per run."""
        return f"{run:06d}{self.index:09d}"


def demo_dossiers(path: Path = SEED_PATH) -> list[Dossier]:
    """The synthetic demo dossiers every stack seeds (codes and the last four phone digits)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Dossier(str(d["code"]), str(d["phone"])[-4:]) for d in data["dossiers"]]


def has_diacritics(text: str) -> bool:
    """Whether a message carries Vietnamese diacritics (any non-ASCII letter here)."""
    return any(ord(c) > 127 for c in text)


class Mix:
    """An endless, seeded stream of citizens."""

    def __init__(self, seed: int = 14, dossiers: list[Dossier] | None = None, zalo_share: float = ZALO_SHARE) -> None:
        self._rng = random.Random(seed)
        self._dossiers = dossiers if dossiers is not None else demo_dossiers()
        self._zalo_share = zalo_share
        self._next = 0
        self._kinds = list(KIND_WEIGHTS)
        self._weights = [KIND_WEIGHTS[k] for k in self._kinds]

    def __iter__(self) -> Iterator[Citizen]:
        return self

    def __next__(self) -> Citizen:
        rng = self._rng
        index = self._next
        self._next += 1
        channel = ZALO if rng.random() < self._zalo_share else WEB
        kind = rng.choices(self._kinds, self._weights)[0]
        return Citizen(index, channel, kind, tuple(getattr(self, f"_{kind}")(rng)))

    # --- one builder per kind ---------------------------------------------------------------------
    @staticmethod
    def _procedure_question(rng: random.Random, diacritics: bool) -> str:
        with_marks, without = rng.choice(PROCEDURES)
        template = rng.choice(ASK_WITH if diacritics else ASK_WITHOUT)
        return template.format(p=with_marks if diacritics else without)

    def _procedure(self, rng: random.Random) -> list[str]:
        diacritics = rng.random() < 0.5
        messages = [
            self._procedure_question(rng, diacritics),
            rng.choice(FOLLOW_WITH if diacritics else FOLLOW_WITHOUT),
        ]
        if rng.random() < 0.5:
            messages.append(rng.choice(THANKS))
        return messages

    def _greet_procedure(self, rng: random.Random) -> list[str]:
        diacritics = rng.random() < 0.5
        return [rng.choice(GREETINGS), self._procedure_question(rng, diacritics), rng.choice(GOODBYES)]

    def _unit_change(self, rng: random.Random) -> list[str]:
        messages = [rng.choice(UNIT_QUESTIONS)]
        if rng.random() < 0.4:
            messages.append(rng.choice(OFFICE_QUESTIONS))
        return messages

    def _dossier(self, rng: random.Random) -> list[str]:
        dossier = rng.choice(self._dossiers)
        if rng.random() < 0.5:
            messages = [rng.choice(DOSSIER_OPENINGS), dossier.code, dossier.last_four]
        else:
            messages = [rng.choice(DOSSIER_UP_FRONT).format(code=dossier.code), dossier.last_four]
        return [*messages, rng.choice(THANKS)]

    def _small_talk(self, rng: random.Random) -> list[str]:
        return [rng.choice(GREETINGS), rng.choice(SMALL_TALK), rng.choice(GOODBYES)]
