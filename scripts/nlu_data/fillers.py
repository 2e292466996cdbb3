"""Slot fillers: procedures, administrative units, dossier codes, fake phone numbers, ratings.

Place names are real. Current (post 1 July 2025) communes were checked against the
vietnam-provinces 2025 data set; former units (huyện, quận, thị xã, old provinces) are the
pre-reform names people still use. Phone numbers are obviously fake.
"""

from __future__ import annotations

import random

# ---------------------------------------------------------------------------
# Procedures.  "n": noun-like mentions that fit after "làm / thủ tục / hồ sơ / lệ phí";
#              "v": verb phrases that fit after "tôi muốn / cách / để" (never start with "làm").
# Convention: the entity is the procedure name; qualifiers ("cho con", "quá hạn") and generic verbs
# ("làm", "xin", "mở") stay outside the span.
# ---------------------------------------------------------------------------

PROCEDURES: dict[str, dict[str, list[str]]] = {
    "khai_sinh": {
        "n": [
            "đăng ký khai sinh",
            "khai sinh",
            "giấy khai sinh",
            "đk khai sinh",
            "gks",
            "giấy khai sanh",
            "đăng ký khai sinh lại",
        ],
        "v": ["đăng ký khai sinh", "đk khai sinh", "khai sinh", "dk khai sinh", "đăng ký khai sinh lại"],
    },
    "khai_tu": {
        "n": ["đăng ký khai tử", "khai tử", "giấy chứng tử", "trích lục khai tử", "báo tử"],
        "v": ["đăng ký khai tử", "khai tử", "đk khai tử", "báo tử"],
    },
    "ket_hon": {
        "n": [
            "đăng ký kết hôn",
            "giấy đăng ký kết hôn",
            "đk kết hôn",
            "giấy kết hôn",
            "giấy hôn thú",
            "kết hôn",
            "đăng ký kết hôn với người nước ngoài",
        ],
        "v": ["đăng ký kết hôn", "đk kết hôn", "dang ky ket hon", "đăng ký kết hôn với người nước ngoài"],
    },
    "hon_nhan": {
        "n": [
            "xác nhận tình trạng hôn nhân",
            "giấy xác nhận độc thân",
            "xác nhận độc thân",
            "giấy xác nhận tình trạng hôn nhân",
            "giấy độc thân",
            "xác nhận tthn",
        ],
        "v": [
            "xác nhận tình trạng hôn nhân",
            "xin giấy xác nhận độc thân",
            "xác nhận độc thân",
            "xin xác nhận tình trạng hôn nhân",
            "xin giấy độc thân",
        ],
    },
    "thuong_tru": {
        "n": [
            "đăng ký thường trú",
            "nhập hộ khẩu",
            "thường trú",
            "nhập khẩu",
            "hộ khẩu",
            "đk thường trú",
            "chuyển hộ khẩu",
        ],
        "v": ["đăng ký thường trú", "nhập hộ khẩu", "chuyển hộ khẩu", "nhập khẩu", "đk thường trú", "nhập hk"],
    },
    "tam_tru": {
        "n": ["đăng ký tạm trú", "tạm trú", "đk tạm trú", "dk tam tru", "khai báo tạm trú", "giấy tạm trú"],
        "v": ["đăng ký tạm trú", "đk tạm trú", "khai báo tạm trú", "đăng kí tạm trú"],
    },
    "gia_han_tam_tru": {
        "n": ["gia hạn tạm trú", "gia hạn đăng ký tạm trú"],
        "v": ["gia hạn tạm trú", "gia hạn đăng ký tạm trú"],
    },
    "xoa_thuong_tru": {
        "n": ["xóa thường trú", "xóa hộ khẩu", "cắt khẩu", "xóa đăng ký thường trú", "cắt hộ khẩu"],
        "v": ["xóa thường trú", "xóa hộ khẩu", "cắt khẩu", "xóa đăng ký thường trú"],
    },
    "xac_nhan_cu_tru": {
        "n": ["xác nhận cư trú", "giấy xác nhận cư trú", "xác nhận thông tin cư trú", "giấy CT07", "mẫu CT07"],
        "v": ["xác nhận cư trú", "xin giấy xác nhận cư trú", "xin xác nhận thông tin cư trú"],
    },
    "chung_thuc_ban_sao": {
        "n": [
            "chứng thực bản sao",
            "công chứng",
            "sao y bản chính",
            "photo công chứng",
            "chứng thực",
            "công chứng giấy tờ",
            "sao y",
        ],
        "v": ["chứng thực bản sao", "công chứng giấy tờ", "sao y bản chính", "sao y giấy tờ", "chứng thực bản sao"],
    },
    "chung_thuc_chu_ky": {
        "n": ["chứng thực chữ ký", "xác nhận chữ ký"],
        "v": ["chứng thực chữ ký", "xác nhận chữ ký"],
    },
    "trich_luc": {
        "n": [
            "trích lục",
            "trích lục khai sinh",
            "bản sao trích lục hộ tịch",
            "bản sao giấy khai sinh",
            "trích lục kết hôn",
        ],
        "v": [
            "xin trích lục khai sinh",
            "cấp bản sao trích lục hộ tịch",
            "xin bản sao giấy khai sinh",
            "trích lục lại giấy kết hôn",
        ],
    },
    "nhan_cha_me_con": {
        "n": ["nhận cha mẹ con", "đăng ký nhận cha con", "nhận cha con", "nhận con"],
        "v": ["đăng ký nhận cha mẹ con", "nhận cha con", "nhận con", "đăng ký nhận cha con", "nhận mẹ con"],
    },
    "giam_ho": {
        "n": ["đăng ký giám hộ", "giám hộ", "chấm dứt giám hộ"],
        "v": ["đăng ký giám hộ", "chấm dứt giám hộ", "đk giám hộ"],
    },
    "cai_chinh": {
        "n": [
            "cải chính hộ tịch",
            "thay đổi cải chính hộ tịch",
            "cải chính ngày sinh",
            "đổi tên",
            "thay đổi họ tên",
            "bổ sung thông tin hộ tịch",
        ],
        "v": [
            "cải chính hộ tịch",
            "sửa tên trong giấy khai sinh",
            "đổi tên",
            "thay đổi họ tên",
            "cải chính năm sinh",
            "đổi họ",
            "bổ sung thông tin hộ tịch",
        ],
    },
    "so_do": {
        "n": [
            "sổ đỏ",
            "sổ hồng",
            "giấy chứng nhận quyền sử dụng đất",
            "bìa đỏ",
            "gcn qsdđ",
            "cấp đổi sổ đỏ",
            "sang tên sổ đỏ",
        ],
        "v": [
            "cấp sổ đỏ",
            "sang tên sổ đỏ",
            "cấp đổi sổ đỏ",
            "cấp giấy chứng nhận quyền sử dụng đất",
            "sang tên sổ hồng",
            "cấp lại sổ đỏ",
            "đăng ký đất đai lần đầu",
        ],
    },
    "tach_thua": {
        "n": ["tách thửa", "tách sổ", "tách thửa đất", "hợp thửa"],
        "v": ["tách thửa", "tách sổ đỏ", "tách thửa đất", "hợp thửa đất"],
    },
    "gpxd": {
        "n": ["giấy phép xây dựng", "gpxd", "phép xây dựng", "giấy phép sửa chữa nhà"],
        "v": [
            "xin giấy phép xây dựng",
            "xin phép xây nhà",
            "xin phép xây dựng",
            "cấp phép xây dựng",
            "xin gpxd",
            "cấp giấy phép xây dựng",
        ],
    },
    "ho_kinh_doanh": {
        "n": [
            "đăng ký hộ kinh doanh",
            "hộ kinh doanh",
            "giấy phép kinh doanh hộ cá thể",
            "đăng ký kinh doanh",
            "giấy phép kinh doanh",
            "hộ kinh doanh cá thể",
        ],
        "v": [
            "đăng ký hộ kinh doanh",
            "mở hộ kinh doanh",
            "đăng ký kinh doanh hộ cá thể",
            "tạm ngừng hộ kinh doanh",
            "thay đổi đăng ký hộ kinh doanh",
            "đk kinh doanh",
        ],
    },
    "ho_chieu": {
        "n": ["hộ chiếu", "passport", "hộ chiếu phổ thông", "cấp hộ chiếu"],
        "v": ["cấp hộ chiếu", "gia hạn hộ chiếu", "cấp lại hộ chiếu", "cấp đổi hộ chiếu"],
    },
    "lltp": {
        "n": ["lý lịch tư pháp", "phiếu lý lịch tư pháp", "lý lịch tư pháp số 1", "lý lịch tư pháp số 2", "lltp"],
        "v": [
            "xin lý lịch tư pháp",
            "cấp phiếu lý lịch tư pháp",
            "xin phiếu lý lịch tư pháp số 1",
            "xin lý lịch tư pháp số 2",
        ],
    },
    "cccd": {
        "n": ["căn cước", "cccd", "thẻ căn cước", "căn cước công dân", "cmnd", "chứng minh nhân dân"],
        "v": [
            "cấp căn cước",
            "cấp đổi cccd",
            "đổi căn cước",
            "cấp lại cccd",
            "đổi cmnd sang căn cước",
            "cấp đổi thẻ căn cước",
            "cấp lại căn cước",
        ],
    },
    "ho_ngheo": {
        "n": ["xác nhận hộ nghèo", "giấy xác nhận hộ nghèo", "xác nhận hộ cận nghèo", "công nhận hộ nghèo"],
        "v": ["xin xác nhận hộ nghèo", "xét hộ cận nghèo", "xin giấy xác nhận hộ nghèo"],
    },
    "tro_cap": {
        "n": ["trợ cấp xã hội", "trợ cấp người cao tuổi", "trợ cấp khuyết tật"],
        "v": ["xin trợ cấp người cao tuổi", "hưởng trợ cấp xã hội", "xin trợ cấp khuyết tật"],
    },
}

# Generic verbs that stay outside the entity span ("xin [giấy phép xây dựng](procedure)").
VERBS_OUTSIDE = ("xin ", "mở ", "hưởng ")

# ---------------------------------------------------------------------------
# Administrative units after the 1 July 2025 reform (commune level: xã, phường, đặc khu).
# (name with prefix, how people name the province)
# ---------------------------------------------------------------------------

CURRENT_UNITS: list[tuple[str, str]] = [
    # Hà Nội
    ("phường Hoàn Kiếm", "Hà Nội"),
    ("phường Cửa Nam", "Hà Nội"),
    ("phường Ba Đình", "Hà Nội"),
    ("phường Ngọc Hà", "Hà Nội"),
    ("phường Giảng Võ", "Hà Nội"),
    ("phường Hai Bà Trưng", "Hà Nội"),
    ("phường Vĩnh Tuy", "Hà Nội"),
    ("phường Bạch Mai", "Hà Nội"),
    ("phường Đống Đa", "Hà Nội"),
    ("phường Kim Liên", "Hà Nội"),
    ("phường Láng", "Hà Nội"),
    ("phường Ô Chợ Dừa", "Hà Nội"),
    ("phường Hoàng Mai", "Hà Nội"),
    ("phường Tương Mai", "Hà Nội"),
    ("phường Định Công", "Hà Nội"),
    ("phường Thanh Xuân", "Hà Nội"),
    ("phường Khương Đình", "Hà Nội"),
    ("phường Cầu Giấy", "Hà Nội"),
    ("phường Nghĩa Đô", "Hà Nội"),
    ("phường Yên Hòa", "Hà Nội"),
    ("phường Tây Hồ", "Hà Nội"),
    ("phường Long Biên", "Hà Nội"),
    ("phường Bồ Đề", "Hà Nội"),
    ("phường Hà Đông", "Hà Nội"),
    ("phường Từ Liêm", "Hà Nội"),
    ("phường Đông Ngạc", "Hà Nội"),
    ("phường Sơn Tây", "Hà Nội"),
    ("xã Đông Anh", "Hà Nội"),
    ("xã Gia Lâm", "Hà Nội"),
    ("xã Bát Tràng", "Hà Nội"),
    ("xã Sóc Sơn", "Hà Nội"),
    ("xã Thanh Trì", "Hà Nội"),
    ("xã Quốc Oai", "Hà Nội"),
    ("xã Phượng Dực", "Hà Nội"),
    ("xã Ba Vì", "Hà Nội"),
    ("xã Mê Linh", "Hà Nội"),
    # TP. Hồ Chí Minh
    ("phường Sài Gòn", "TP.HCM"),
    ("phường Tân Định", "TP.HCM"),
    ("phường Bến Thành", "TP.HCM"),
    ("phường Cầu Ông Lãnh", "TP.HCM"),
    ("phường Bàn Cờ", "TP.HCM"),
    ("phường Xuân Hòa", "TP.HCM"),
    ("phường Nhiêu Lộc", "TP.HCM"),
    ("phường Xóm Chiếu", "TP.HCM"),
    ("phường Khánh Hội", "TP.HCM"),
    ("phường Chợ Quán", "TP.HCM"),
    ("phường Chợ Lớn", "TP.HCM"),
    ("phường Bình Tây", "TP.HCM"),
    ("phường Phú Lâm", "TP.HCM"),
    ("phường Tân Thuận", "TP.HCM"),
    ("phường Tân Mỹ", "TP.HCM"),
    ("phường Chánh Hưng", "TP.HCM"),
    ("phường Diên Hồng", "TP.HCM"),
    ("phường Hòa Hưng", "TP.HCM"),
    ("phường Minh Phụng", "TP.HCM"),
    ("phường Phú Thọ", "TP.HCM"),
    ("phường Bình Thạnh", "TP.HCM"),
    ("phường Gia Định", "TP.HCM"),
    ("phường Thạnh Mỹ Tây", "TP.HCM"),
    ("phường Gò Vấp", "TP.HCM"),
    ("phường Hạnh Thông", "TP.HCM"),
    ("phường Phú Nhuận", "TP.HCM"),
    ("phường Đức Nhuận", "TP.HCM"),
    ("phường Tân Sơn Nhất", "TP.HCM"),
    ("phường Bảy Hiền", "TP.HCM"),
    ("phường Tân Bình", "TP.HCM"),
    ("phường Tân Phú", "TP.HCM"),
    ("phường Phú Thạnh", "TP.HCM"),
    ("phường Bình Tân", "TP.HCM"),
    ("phường Tân Tạo", "TP.HCM"),
    ("phường Bình Hưng Hòa", "TP.HCM"),
    ("phường Thủ Đức", "TP.HCM"),
    ("phường Hiệp Bình", "TP.HCM"),
    ("phường Linh Xuân", "TP.HCM"),
    ("phường Tăng Nhơn Phú", "TP.HCM"),
    ("phường An Khánh", "TP.HCM"),
    ("phường Cát Lái", "TP.HCM"),
    ("phường Thủ Dầu Một", "TP.HCM"),
    ("phường Dĩ An", "TP.HCM"),
    ("phường Thuận An", "TP.HCM"),
    ("phường Vũng Tàu", "TP.HCM"),
    ("phường Bà Rịa", "TP.HCM"),
    ("xã Củ Chi", "TP.HCM"),
    ("xã Hóc Môn", "TP.HCM"),
    ("xã Bình Chánh", "TP.HCM"),
    ("xã Nhà Bè", "TP.HCM"),
    ("xã Cần Giờ", "TP.HCM"),
    ("xã Bình Mỹ", "TP.HCM"),
    ("đặc khu Côn Đảo", "TP.HCM"),
    # Other provinces
    ("phường Hạ Long", "Quảng Ninh"),
    ("phường Bãi Cháy", "Quảng Ninh"),
    ("phường Hồng Gai", "Quảng Ninh"),
    ("phường Đông Triều", "Quảng Ninh"),
    ("đặc khu Vân Đồn", "Quảng Ninh"),
    ("đặc khu Cô Tô", "Quảng Ninh"),
    ("xã Tiên Yên", "Quảng Ninh"),
    ("phường Hồng Bàng", "Hải Phòng"),
    ("phường Lê Chân", "Hải Phòng"),
    ("phường Thủy Nguyên", "Hải Phòng"),
    ("phường Hải Dương", "Hải Phòng"),
    ("xã Thanh Hà", "Hải Phòng"),
    ("đặc khu Cát Hải", "Hải Phòng"),
    ("đặc khu Bạch Long Vĩ", "Hải Phòng"),
    ("phường Hải Châu", "Đà Nẵng"),
    ("phường Thanh Khê", "Đà Nẵng"),
    ("phường Sơn Trà", "Đà Nẵng"),
    ("phường An Hải", "Đà Nẵng"),
    ("phường Hòa Khánh", "Đà Nẵng"),
    ("phường Hội An", "Đà Nẵng"),
    ("phường Tam Kỳ", "Đà Nẵng"),
    ("xã Quế Sơn", "Đà Nẵng"),
    ("xã Thu Bồn", "Đà Nẵng"),
    ("đặc khu Hoàng Sa", "Đà Nẵng"),
    ("phường Thuận Hóa", "Huế"),
    ("phường Phú Xuân", "Huế"),
    ("phường Hương Thủy", "Huế"),
    ("xã Quảng Điền", "Huế"),
    ("phường Ninh Kiều", "Cần Thơ"),
    ("phường Cái Khế", "Cần Thơ"),
    ("phường Bình Thủy", "Cần Thơ"),
    ("phường Cái Răng", "Cần Thơ"),
    ("phường Thốt Nốt", "Cần Thơ"),
    ("phường Ngã Bảy", "Cần Thơ"),
    ("xã Kế Sách", "Cần Thơ"),
    ("phường Long Xuyên", "An Giang"),
    ("phường Châu Đốc", "An Giang"),
    ("phường Rạch Giá", "An Giang"),
    ("phường Tân Châu", "An Giang"),
    ("xã Ba Chúc", "An Giang"),
    ("đặc khu Phú Quốc", "An Giang"),
    ("đặc khu Kiên Hải", "An Giang"),
    ("phường Nha Trang", "Khánh Hòa"),
    ("phường Ninh Hòa", "Khánh Hòa"),
    ("xã Khánh Vĩnh", "Khánh Hòa"),
    ("phường Xuân Hương - Đà Lạt", "Lâm Đồng"),
    ("phường Lang Biang - Đà Lạt", "Lâm Đồng"),
    ("đặc khu Phú Quý", "Lâm Đồng"),
    ("xã Nam Đà", "Lâm Đồng"),
    ("phường Biên Hòa", "Đồng Nai"),
    ("phường Long Khánh", "Đồng Nai"),
    ("xã Long Thành", "Đồng Nai"),
    ("phường Trường Vinh", "Nghệ An"),
    ("phường Thành Vinh", "Nghệ An"),
    ("phường Cửa Lò", "Nghệ An"),
    ("phường Sầm Sơn", "Thanh Hóa"),
    ("phường Hạc Thành", "Thanh Hóa"),
    ("xã Như Thanh", "Thanh Hóa"),
    ("phường Đông Hà", "Quảng Trị"),
    ("phường Đồng Hới", "Quảng Trị"),
    ("xã Lệ Thủy", "Quảng Trị"),
    ("phường Phủ Lý", "Ninh Bình"),
    ("phường Hoa Lư", "Ninh Bình"),
    ("phường Nam Định", "Ninh Bình"),
    ("xã Gia Viễn", "Ninh Bình"),
    ("phường Phố Hiến", "Hưng Yên"),
    ("phường Thái Bình", "Hưng Yên"),
    ("phường Việt Trì", "Phú Thọ"),
    ("phường Vĩnh Yên", "Phú Thọ"),
    ("phường Hòa Bình", "Phú Thọ"),
    ("phường Bắc Giang", "Bắc Ninh"),
    ("phường Kinh Bắc", "Bắc Ninh"),
    ("phường Bắc Kạn", "Thái Nguyên"),
    ("phường Lào Cai", "Lào Cai"),
    ("phường Sa Pa", "Lào Cai"),
    ("phường Yên Bái", "Lào Cai"),
    ("xã Mường Hum", "Lào Cai"),
    ("phường Hà Giang 1", "Tuyên Quang"),
    ("xã Lũng Cú", "Tuyên Quang"),
    ("xã Đồng Văn", "Tuyên Quang"),
    ("phường Điện Biên Phủ", "Điện Biên"),
    ("xã Mường Ảng", "Điện Biên"),
    ("phường Chiềng Cơi", "Sơn La"),
    ("xã Mường La", "Sơn La"),
    ("xã Mường Tè", "Lai Châu"),
    ("phường Đông Kinh", "Lạng Sơn"),
    ("xã Mẫu Sơn", "Lạng Sơn"),
    ("phường Thục Phán", "Cao Bằng"),
    ("phường Thành Sen", "Hà Tĩnh"),
    ("xã Can Lộc", "Hà Tĩnh"),
    ("phường Cẩm Thành", "Quảng Ngãi"),
    ("phường Kon Tum", "Quảng Ngãi"),
    ("đặc khu Lý Sơn", "Quảng Ngãi"),
    ("phường Pleiku", "Gia Lai"),
    ("phường Quy Nhơn", "Gia Lai"),
    ("phường Hoài Nhơn", "Gia Lai"),
    ("xã Tuy Phước", "Gia Lai"),
    ("phường Buôn Ma Thuột", "Đắk Lắk"),
    ("phường Tuy Hòa", "Đắk Lắk"),
    ("xã Buôn Đôn", "Đắk Lắk"),
    ("phường Tân Ninh", "Tây Ninh"),
    ("phường Long An", "Tây Ninh"),
    ("xã Cần Đước", "Tây Ninh"),
    ("phường Mỹ Tho", "Đồng Tháp"),
    ("phường Cao Lãnh", "Đồng Tháp"),
    ("xã Tràm Chim", "Đồng Tháp"),
    ("phường Bến Tre", "Vĩnh Long"),
    ("phường Trà Vinh", "Vĩnh Long"),
    ("xã Long Hồ", "Vĩnh Long"),
    ("phường Bạc Liêu", "Cà Mau"),
    ("phường An Xuyên", "Cà Mau"),
    ("xã Đất Mũi", "Cà Mau"),
    ("xã Sông Đốc", "Cà Mau"),
    ("xã Tân Phú", "Đồng Nai"),
    ("xã Tân Thành", "Lâm Đồng"),
]

# How people name the (current) province or city.
PROVINCE_FORMS: dict[str, list[str]] = {
    "Hà Nội": ["Hà Nội", "HN", "thành phố Hà Nội", "tp Hà Nội"],
    "TP.HCM": ["TP.HCM", "TPHCM", "tp HCM", "Sài Gòn", "thành phố Hồ Chí Minh", "HCM", "SG"],
    "Đà Nẵng": ["Đà Nẵng", "tp Đà Nẵng", "thành phố Đà Nẵng"],
    "Hải Phòng": ["Hải Phòng", "tp Hải Phòng"],
    "Cần Thơ": ["Cần Thơ", "tp Cần Thơ"],
    "Huế": ["Huế", "thành phố Huế", "tp Huế"],
}

CURRENT_PROVINCES = [
    "Hà Nội",
    "Huế",
    "Lai Châu",
    "Điện Biên",
    "Sơn La",
    "Lạng Sơn",
    "Quảng Ninh",
    "Thanh Hóa",
    "Nghệ An",
    "Hà Tĩnh",
    "Cao Bằng",
    "Tuyên Quang",
    "Lào Cai",
    "Thái Nguyên",
    "Phú Thọ",
    "Bắc Ninh",
    "Hưng Yên",
    "Hải Phòng",
    "Ninh Bình",
    "Quảng Trị",
    "Đà Nẵng",
    "Quảng Ngãi",
    "Gia Lai",
    "Khánh Hòa",
    "Lâm Đồng",
    "Đắk Lắk",
    "TP.HCM",
    "Đồng Nai",
    "Tây Ninh",
    "Cần Thơ",
    "Vĩnh Long",
    "Đồng Tháp",
    "Cà Mau",
    "An Giang",
]

# Provinces that no longer exist as such after 1 July 2025.
OLD_PROVINCES = [
    "Hà Giang",
    "Yên Bái",
    "Bắc Kạn",
    "Vĩnh Phúc",
    "Hòa Bình",
    "Bắc Giang",
    "Thái Bình",
    "Hải Dương",
    "Hà Nam",
    "Nam Định",
    "Quảng Bình",
    "Quảng Nam",
    "Kon Tum",
    "Bình Định",
    "Ninh Thuận",
    "Đắk Nông",
    "Bình Thuận",
    "Phú Yên",
    "Bình Dương",
    "Bà Rịa - Vũng Tàu",
    "Bình Phước",
    "Long An",
    "Sóc Trăng",
    "Hậu Giang",
    "Bến Tre",
    "Trà Vinh",
    "Tiền Giang",
    "Bạc Liêu",
    "Kiên Giang",
]
OLD_TO_NEW_PROVINCE = {
    "Hà Giang": "Tuyên Quang",
    "Yên Bái": "Lào Cai",
    "Bắc Kạn": "Thái Nguyên",
    "Vĩnh Phúc": "Phú Thọ",
    "Hòa Bình": "Phú Thọ",
    "Bắc Giang": "Bắc Ninh",
    "Thái Bình": "Hưng Yên",
    "Hải Dương": "Hải Phòng",
    "Hà Nam": "Ninh Bình",
    "Nam Định": "Ninh Bình",
    "Quảng Bình": "Quảng Trị",
    "Quảng Nam": "Đà Nẵng",
    "Kon Tum": "Quảng Ngãi",
    "Bình Định": "Gia Lai",
    "Ninh Thuận": "Khánh Hòa",
    "Đắk Nông": "Lâm Đồng",
    "Bình Thuận": "Lâm Đồng",
    "Phú Yên": "Đắk Lắk",
    "Bình Dương": "TP.HCM",
    "Bà Rịa - Vũng Tàu": "TP.HCM",
    "Bình Phước": "Đồng Nai",
    "Long An": "Tây Ninh",
    "Sóc Trăng": "Cần Thơ",
    "Hậu Giang": "Cần Thơ",
    "Bến Tre": "Vĩnh Long",
    "Trà Vinh": "Vĩnh Long",
    "Tiền Giang": "Đồng Tháp",
    "Bạc Liêu": "Cà Mau",
    "Kiên Giang": "An Giang",
}
OLD_PROVINCE_SHORT = {"Bà Rịa - Vũng Tàu": ["BR-VT", "Bà Rịa Vũng Tàu", "Vũng Tàu"], "Bình Dương": ["BD"]}

# Former communes / wards with their former district (and sometimes province).
OLD_COMMUNES: list[tuple[str, str, str | None]] = [
    ("phường Bến Nghé", "quận 1", "TP.HCM"),
    ("phường Đa Kao", "quận 1", "TP.HCM"),
    ("phường Nguyễn Thái Bình", "quận 1", "TP.HCM"),
    ("phường 5", "quận 3", "TP.HCM"),
    ("phường Võ Thị Sáu", "quận 3", "TP.HCM"),
    ("phường 12", "quận 10", "TP.HCM"),
    ("phường 14", "quận 10", "TP.HCM"),
    ("phường 7", "quận 5", "TP.HCM"),
    ("phường 13", "quận 6", "TP.HCM"),
    ("phường 7", "quận Gò Vấp", "TP.HCM"),
    ("phường 17", "quận Gò Vấp", "TP.HCM"),
    ("phường 25", "quận Bình Thạnh", "TP.HCM"),
    ("phường 22", "quận Bình Thạnh", "TP.HCM"),
    ("phường 2", "quận Tân Bình", "TP.HCM"),
    ("phường 15", "quận Tân Bình", "TP.HCM"),
    ("phường 9", "quận Phú Nhuận", "TP.HCM"),
    ("phường Tân Phong", "quận 7", "TP.HCM"),
    ("phường Tân Thuận Đông", "quận 7", "TP.HCM"),
    ("phường Bình Trị Đông A", "quận Bình Tân", "TP.HCM"),
    ("phường Thảo Điền", "thành phố Thủ Đức", "TP.HCM"),
    ("phường Linh Trung", "thành phố Thủ Đức", "TP.HCM"),
    ("phường Hiệp Phú", "thành phố Thủ Đức", "TP.HCM"),
    ("xã Tân Thông Hội", "huyện Củ Chi", "TP.HCM"),
    ("xã Vĩnh Lộc A", "huyện Bình Chánh", "TP.HCM"),
    ("xã Phước Kiển", "huyện Nhà Bè", "TP.HCM"),
    ("thị trấn Cần Thạnh", "huyện Cần Giờ", "TP.HCM"),
    ("xã Bà Điểm", "huyện Hóc Môn", "TP.HCM"),
    ("phường Hàng Bạc", "quận Hoàn Kiếm", "Hà Nội"),
    ("phường Hàng Trống", "quận Hoàn Kiếm", "Hà Nội"),
    ("phường Tràng Tiền", "quận Hoàn Kiếm", "Hà Nội"),
    ("phường Dịch Vọng", "quận Cầu Giấy", "Hà Nội"),
    ("phường Mai Dịch", "quận Cầu Giấy", "Hà Nội"),
    ("phường Láng Hạ", "quận Đống Đa", "Hà Nội"),
    ("phường Trung Hòa", "quận Cầu Giấy", "Hà Nội"),
    ("phường Mỹ Đình 1", "quận Nam Từ Liêm", "Hà Nội"),
    ("phường Văn Quán", "quận Hà Đông", "Hà Nội"),
    ("phường Kim Mã", "quận Ba Đình", "Hà Nội"),
    ("phường Bách Khoa", "quận Hai Bà Trưng", "Hà Nội"),
    ("phường Khương Trung", "quận Thanh Xuân", "Hà Nội"),
    ("xã Uy Nỗ", "huyện Đông Anh", "Hà Nội"),
    ("xã Kim Chung", "huyện Đông Anh", "Hà Nội"),
    ("xã Tân Triều", "huyện Thanh Trì", "Hà Nội"),
    ("thị trấn Phùng", "huyện Đan Phượng", "Hà Nội"),
    ("xã Hương Sơn", "huyện Mỹ Đức", "Hà Nội"),
    ("thị trấn Trâu Quỳ", "huyện Gia Lâm", "Hà Nội"),
    ("xã Tân Phú", "huyện Đồng Phú", "Bình Phước"),
    ("thị trấn Tân Phú", "huyện Đồng Phú", "Bình Phước"),
    ("xã Lũng Cú", "huyện Đồng Văn", "Hà Giang"),
    ("thị trấn Mèo Vạc", "huyện Mèo Vạc", "Hà Giang"),
    ("xã Đất Mũi", "huyện Ngọc Hiển", "Cà Mau"),
    ("phường Phú Hòa", "thành phố Thủ Dầu Một", "Bình Dương"),
    ("phường Lái Thiêu", "thành phố Thuận An", "Bình Dương"),
    ("phường Thắng Tam", "thành phố Vũng Tàu", "Bà Rịa - Vũng Tàu"),
    ("phường Minh An", "thành phố Hội An", "Quảng Nam"),
    ("xã Duy Sơn", "huyện Duy Xuyên", "Quảng Nam"),
    ("phường Hải Cảng", "thành phố Quy Nhơn", "Bình Định"),
    ("phường Đức Nghĩa", "thành phố Phan Thiết", "Bình Thuận"),
    ("phường 1", "thành phố Tuy Hòa", "Phú Yên"),
    ("phường 2", "thành phố Tân An", "Long An"),
    ("xã Đức Hòa Hạ", "huyện Đức Hòa", "Long An"),
    ("phường 3", "thành phố Sóc Trăng", "Sóc Trăng"),
    ("phường 5", "thành phố Vị Thanh", "Hậu Giang"),
    ("xã Mỹ Thạnh An", "thành phố Bến Tre", "Bến Tre"),
    ("phường 1", "thành phố Trà Vinh", "Trà Vinh"),
    ("phường 4", "thành phố Mỹ Tho", "Tiền Giang"),
    ("phường 7", "thành phố Bạc Liêu", "Bạc Liêu"),
    ("phường Vĩnh Thanh", "thành phố Rạch Giá", "Kiên Giang"),
    ("xã Vũ Chính", "thành phố Thái Bình", "Thái Bình"),
    ("xã Nam Cao", "huyện Kiến Xương", "Thái Bình"),
    ("phường Trần Hưng Đạo", "thành phố Hải Dương", "Hải Dương"),
    ("xã Hải Đông", "huyện Hải Hậu", "Nam Định"),
    ("phường Lê Hồng Phong", "thành phố Phủ Lý", "Hà Nam"),
    ("phường Liên Bảo", "thành phố Vĩnh Yên", "Vĩnh Phúc"),
    ("phường Hải Đình", "thành phố Đồng Hới", "Quảng Bình"),
    ("xã Hòa Bắc", "huyện Hòa Vang", "Đà Nẵng"),
    ("phường Thạch Thang", "quận Hải Châu", "Đà Nẵng"),
    ("phường Vĩnh Hải", "thành phố Nha Trang", "Khánh Hòa"),
    ("phường 10", "thành phố Đà Lạt", "Lâm Đồng"),
    ("phường Tân Tiến", "thành phố Buôn Ma Thuột", "Đắk Lắk"),
    ("phường Hưng Bình", "thành phố Vinh", "Nghệ An"),
    ("thị trấn Sa Pa", "huyện Sa Pa", "Lào Cai"),
    ("phường Nguyễn Thái Học", "thành phố Yên Bái", "Yên Bái"),
    ("xã Đồng Lạc", "huyện Chợ Đồn", "Bắc Kạn"),
]

OLD_DISTRICTS = [
    "quận 1",
    "quận 3",
    "quận 4",
    "quận 5",
    "quận 6",
    "quận 8",
    "quận 10",
    "quận 11",
    "quận 12",
    "quận Gò Vấp",
    "quận Bình Thạnh",
    "quận Tân Bình",
    "quận Phú Nhuận",
    "quận Bình Tân",
    "quận Tân Phú",
    "thành phố Thủ Đức",
    "huyện Củ Chi",
    "huyện Hóc Môn",
    "huyện Bình Chánh",
    "huyện Nhà Bè",
    "huyện Cần Giờ",
    "quận Hoàn Kiếm",
    "quận Ba Đình",
    "quận Đống Đa",
    "quận Hai Bà Trưng",
    "quận Cầu Giấy",
    "quận Thanh Xuân",
    "quận Hoàng Mai",
    "quận Long Biên",
    "quận Tây Hồ",
    "quận Nam Từ Liêm",
    "quận Bắc Từ Liêm",
    "quận Hà Đông",
    "thị xã Sơn Tây",
    "huyện Đông Anh",
    "huyện Gia Lâm",
    "huyện Sóc Sơn",
    "huyện Thanh Trì",
    "huyện Ba Vì",
    "huyện Chương Mỹ",
    "huyện Thạch Thất",
    "huyện Hoài Đức",
    "huyện Đồng Phú",
    "huyện Đồng Văn",
    "huyện Mù Cang Chải",
    "thị xã Nghĩa Lộ",
    "huyện Kiến Xương",
    "huyện Tiền Hải",
    "thị xã Kinh Môn",
    "huyện Hải Hậu",
    "huyện Bố Trạch",
    "huyện Duy Xuyên",
    "thị xã An Nhơn",
    "thị xã La Gi",
    "thị xã Bến Cát",
    "huyện Côn Đảo",
    "huyện Cần Giuộc",
    "huyện Mỏ Cày Nam",
    "huyện Cái Bè",
    "thành phố Phú Quốc",
    "huyện Kiên Hải",
    "quận Ninh Kiều",
    "quận Hải Châu",
    "quận Sơn Trà",
    "huyện Hòa Vang",
    "quận Lê Chân",
    "huyện Thủy Nguyên",
    "thành phố Hạ Long",
    "thành phố Vinh",
    "thành phố Đà Lạt",
]

# ---------------------------------------------------------------------------
# Surface renderers.  Each returns the exact text that will be annotated.
# ---------------------------------------------------------------------------


def _abbrev_prefix(name: str, rng: random.Random) -> str:
    """'phường Bến Thành' -> 'P. Bến Thành' / 'p.Bến Thành' / 'P Bến Thành' ... (sometimes)."""
    prefix, _, rest = name.partition(" ")
    if prefix == "đặc":
        return name
    r = rng.random()
    if r < 0.72:
        return name
    short = {"phường": "p", "xã": "x", "thị": "tt", "huyện": "h", "quận": "q"}.get(prefix)
    if prefix == "thị" and rest.startswith("xã "):
        short, rest = "tx", rest[3:]
    elif prefix == "thị" and rest.startswith("trấn "):
        rest = rest[5:]
    elif prefix == "thành" and rest.startswith("phố "):
        short, rest = "tp", rest[4:]
    if short is None:
        return name
    if short == "x" and rng.random() < 0.7:
        return name
    style = rng.choice([".", ". ", " ", "."])
    if rest.isdigit():
        style = rng.choice([".", "", " ", "."])
    if rng.random() < 0.5:
        short = short.upper()
    return f"{short}{style}{rest}"


def current_unit(rng: random.Random, with_province: float = 0.18) -> str:
    name, prov = rng.choice(CURRENT_UNITS)
    text = _abbrev_prefix(name, rng)
    if rng.random() < with_province:
        forms = PROVINCE_FORMS.get(prov, [prov, f"tỉnh {prov}"])
        text += rng.choice([" ", ", "]) + rng.choice(forms)
    return text


def current_unit_bare(rng: random.Random) -> str:
    name, _ = rng.choice(CURRENT_UNITS)
    prefix, _, rest = name.partition(" ")
    if prefix == "đặc":
        rest = rest.partition(" ")[2]
    return rest


def _district_form(d: str, rng: random.Random) -> str:
    return _abbrev_prefix(d, rng)


def old_unit(rng: random.Random) -> tuple[str, str | None]:
    """A former commune (with its former district); also returns the current province."""
    commune, district, prov = rng.choice(OLD_COMMUNES)
    return _old_unit_text(commune, district, prov, rng), new_province_of(prov)


def _old_unit_text(commune: str, district: str, prov: str | None, rng: random.Random) -> str:
    num_c = commune.split()[-1].isdigit()
    num_d = district.split()[-1].isdigit()
    if num_c and num_d and rng.random() < 0.45:
        c, d = commune.split()[-1], district.split()[-1]
        form = rng.choice(
            [
                "P.{c} Q.{d}",
                "p{c} q{d}",
                "F{c} Q{d}",
                "P{c} Q{d}",
                "p.{c} q.{d}",
                "phường {c} quận {d}",
                "f.{c} q.{d}",
                "P.{c}, Q.{d}",
            ]
        )
        return form.format(c=c, d=d)
    sep = rng.choice([" ", " ", ", ", " "])
    text = _abbrev_prefix(commune, rng) + sep + _district_form(district, rng)
    if prov and rng.random() < 0.25:
        if prov in PROVINCE_FORMS:
            ptext = rng.choice(PROVINCE_FORMS[prov])
        else:
            ptext = rng.choice([f"tỉnh {prov}", prov])
        text += rng.choice([" ", ", "]) + ptext
    return text


def old_district(rng: random.Random) -> str:
    return _district_form(rng.choice(OLD_DISTRICTS), rng)


def old_unit_bare(rng: random.Random) -> tuple[str, str | None]:
    """A former commune name without prefix ("Bến Nghé", "Thảo Điền")."""
    named = [c for c in OLD_COMMUNES if not c[0].split()[-1].isdigit()]
    commune, _, prov = rng.choice(named)
    rest = commune.split(" ", 1)[1]
    if rest.startswith("trấn "):
        rest = rest[5:]
    return rest, new_province_of(prov)


def new_province_of(prov: str | None) -> str | None:
    return None if prov is None else OLD_TO_NEW_PROVINCE.get(prov, prov)


def old_province(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(OLD_PROVINCES)
    r = rng.random()
    if name in OLD_PROVINCE_SHORT and r < 0.3:
        return rng.choice(OLD_PROVINCE_SHORT[name]), OLD_TO_NEW_PROVINCE[name]
    return (f"tỉnh {name}" if r < 0.6 else name), OLD_TO_NEW_PROVINCE[name]


def current_unit_in(rng: random.Random, prov: str | None) -> str:
    """A current commune in the given current province (falls back to any)."""
    pool = [u for u in CURRENT_UNITS if u[1] == prov]
    if not pool or rng.random() < 0.15:
        return current_unit(rng)
    name, _ = rng.choice(pool)
    return _abbrev_prefix(name, rng)


def current_province(rng: random.Random, name: str | None = None) -> str:
    if name is None or rng.random() < 0.15:
        name = rng.choice(CURRENT_PROVINCES)
    if name in PROVINCE_FORMS:
        return rng.choice(PROVINCE_FORMS[name])
    return f"tỉnh {name}" if rng.random() < 0.55 else name


def procedure(rng: random.Random, key: str | None, verb: bool) -> tuple[str, str]:
    """Return (leading verb kept outside the entity, procedure mention)."""
    if key is None:
        key = rng.choice(list(PROCEDURES))
    text = rng.choice(PROCEDURES[key]["v" if verb else "n"])
    for verb_word in VERBS_OUTSIDE:
        if text.startswith(verb_word):
            return verb_word, text[len(verb_word) :]
    return "", text


def dossier_code(rng: random.Random) -> str:
    """Shapes seen on receipts: 000.00.01.H29-250710-0012, G22.99-250801-0003, H29.114-250715-0021."""
    month = rng.randint(1, 12)
    year = 25 if month >= 7 else 26
    if rng.random() < 0.15:
        year = 25 if year == 26 else 26
        month = rng.randint(7, 12) if year == 25 else rng.randint(1, 11)
    date = f"{year:02d}{month:02d}{rng.randint(1, 28):02d}"
    seq = f"{rng.randint(1, 2400):04d}"
    prov = rng.choice(["H29", "H01", "H56", "H26", "H31", "H48", "H92", "H38", "H40", "H22", "H64", "H12"])
    shape = rng.random()
    if shape < 0.5:
        code = f"000.{rng.choice(['00', '00', '20', '31'])}.{rng.randint(1, 40):02d}.{prov}-{date}-{seq}"
    elif shape < 0.75:
        code = f"G{rng.randint(1, 99):02d}.{rng.randint(1, 99):02d}-{date}-{seq}"
    else:
        code = f"{prov}.{rng.randint(1, 200)}-{date}-{seq}"
    if rng.random() < 0.2:
        code = code.lower()
    return code


def phone(rng: random.Random) -> str:
    """Obviously fake numbers only."""
    base = rng.choice(
        [
            "0900000{:03d}",
            "0912345678",
            "0987654321",
            "0900111{:03d}",
            "0123456789",
            "0909000{:03d}",
            "0999999{:03d}",
            "0888000{:03d}",
        ]
    )
    num = base.format(rng.randint(100, 999)) if "{" in base else base
    style = rng.random()
    if style < 0.15:
        return f"{num[:4]}.{num[4:7]}.{num[7:]}"
    if style < 0.28:
        return f"{num[:4]} {num[4:7]} {num[7:]}"
    if style < 0.33:
        return "+84" + num[1:]
    return num


def last4(rng: random.Random) -> str:
    return rng.choice(
        [
            "1234",
            "5678",
            "0123",
            "6789",
            "9999",
            "0000",
            "1111",
            "4321",
            "2468",
            "1357",
            "0456",
            "8888",
            "4455",
            "3456",
            "7890",
            "0909",
        ]
    )


RATING_WORDS = {"1": "một", "2": "hai", "3": "ba", "4": "bốn", "5": "năm"}


def rating(rng: random.Random, low: bool | None = None) -> str:
    pool = ["5", "5", "5", "4", "4", "3", "2", "1"]
    if low is True:
        pool = ["1", "2", "2", "3"]
    elif low is False:
        pool = ["4", "5", "5"]
    return rng.choice(pool)


def rating_word(rng: random.Random, low: bool | None = None) -> str:
    return RATING_WORDS[rating(rng, low)]
