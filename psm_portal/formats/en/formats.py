DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i T"  # with the zone, as in Indonesian: 14:30 WIB
TIME_FORMAT = "H:i T"  # 13:05 WIB; Django's English default writes "1:05 p.m."
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"]
