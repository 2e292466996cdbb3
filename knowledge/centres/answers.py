"""What the assistant says about the Public Administrative Service Centres (Trung tâm Phục vụ
hành chính công): a centre's address, hotline and hours, and what to do when none is on record."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.centres.models import ServiceCentre

# A commune-level procedure asked about before the citizen said where they live.
ASK_COMMUNE_FOR_CENTRE = (
    "Anh/chị cho em biết xã/phường nơi cư trú để em chỉ địa chỉ Trung tâm Phục vụ hành chính công ạ."
)


def describe(centre: ServiceCentre) -> str:
    """Address, hotline and hours, as a citizen reads them; demo data is labelled as such."""
    lines = [f"🏢 {centre.name}"]
    if centre.address:
        lines.append(f"• Địa chỉ: {centre.address}")
    if centre.phone:
        lines.append(f"• Điện thoại: {centre.phone}")
    if centre.email:
        lines.append(f"• Thư điện tử: {centre.email}")
    if centre.hours:
        lines.append(f"• Giờ làm việc: {centre.hours}")
    if centre.is_demo:
        lines.append("(Thông tin minh họa — vui lòng kiểm tra trên cổng thông tin của xã/phường.)")
    return "\n".join(lines)


def centres_text(found: Sequence[ServiceCentre], unit_name: str, portal_url: str) -> str:
    """Where a commune's files are received: its centres on record, else the centre by name with
    where to find its details (an address is never guessed)."""
    if found:
        return "\n\n".join(describe(c) for c in found)
    return (
        f"Hồ sơ cấp xã của {unit_name} được tiếp nhận tại Trung tâm Phục vụ hành chính công {unit_name[0].lower() + unit_name[1:]}. "
        f"Em chưa có địa chỉ, số điện thoại và giờ làm việc đã xác minh của trung tâm này; anh/chị xem trên "
        f"cổng thông tin của xã/phường hoặc Cổng Dịch vụ công quốc gia {portal_url} ạ."
    )
