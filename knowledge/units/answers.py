"""What the assistant says about administrative units since 1 July 2025: which unit a former
commune or province now belongs to, and what it asks when it cannot tell which unit is meant.

Every sentence is built from the unit store (``knowledge.units.service``); the service centres'
own wording is in ``knowledge.centres.answers``.
"""

from __future__ import annotations

from knowledge.units.service import CurrentUnit, UnitMatch

# No unit recognised in a question about where to go.
ASK_COMMUNE_FOR_OFFICE = (
    "Anh/chị cho em biết tên xã/phường (tên cũ cũng được), ví dụ “phường Bến Thành” hoặc "
    "“xã Tân Phú huyện Đồng Phú cũ”, để em chỉ nơi tiếp nhận hồ sơ ạ."
)
# No unit recognised in a question about a former unit.
UNIT_NOT_FOUND = (
    "Em chưa tìm thấy đơn vị hành chính đó. Anh/chị nhắn giúp em tên xã/phường cũ kèm "
    "huyện/tỉnh cũ, ví dụ “xã Tân Phú huyện Đồng Phú tỉnh Bình Phước” ạ."
)


def province_too_broad(match: UnitMatch) -> str:
    """A province was named where a commune is needed (its centre receives the commune's files)."""
    return (
        f"{match.name} có nhiều xã, phường. Anh/chị cho em biết tên xã/phường để em chỉ đúng "
        "Trung tâm Phục vụ hành chính công ạ."
    )


def former_now_in(match: UnitMatch, targets: list[CurrentUnit]) -> str:
    """One line before the centre of a former commune: the unit(s) it now belongs to."""
    names = ", ".join(f"{t.name} ({t.province_name})" for t in targets)
    return f"{match.name} (cũ) nay thuộc {names}."


def unit_change_text(match: UnitMatch) -> str:
    """What became of a unit on 1 July 2025: still current, or the unit(s) it now belongs to,
    with the caveat of a split commune (the citizen's village decides)."""
    where = f" ({match.district_name}, {match.province.name})" if match.district_name else f" ({match.province.name})"
    if match.status == "current":
        return (
            f"{match.name} là đơn vị hành chính hiện hành (từ 01/7/2025) thuộc {match.province.name}, mã {match.code}."
            if match.level == "commune"
            else f"{match.name} là tỉnh/thành phố hiện hành (từ 01/7/2025), mã {match.code}."
        )
    if not match.successors:
        return f"Em chưa có thông tin đơn vị mới của {match.name}{where}. Anh/chị liên hệ UBND tỉnh để được xác nhận ạ."
    if match.level == "province":
        names = ", ".join(s.name for s in match.successors)
        return f"{match.name} cũ nay thuộc {names} (từ 01/7/2025)."
    if match.is_split:
        lines = [f"{match.name}{where} đã được chia về nhiều đơn vị mới từ 01/7/2025:"]
        lines += [f"• {s.name} ({s.province.name}) — một phần địa bàn" for s in match.successors]
        lines.append(
            "Vì xã cũ bị chia tách, anh/chị cần biết thôn/ấp/tổ dân phố nơi ở để xác định đúng đơn vị mới; "
            "nếu chưa rõ, hãy hỏi Trung tâm Phục vụ hành chính công của một trong các đơn vị trên ạ."
        )
        return "\n".join(lines)
    successor = match.successors[0]
    return f"{match.name}{where} nay thuộc {successor.name}, {successor.province.name} (từ 01/7/2025), mã {successor.code}."
