# Indonesian letters spell the month out: "10 Maret 2022" (domain.md §7.1), not "10 Mar 2022".
DATE_FORMAT = "j F Y"
# A time names its zone, as a letter does (domain.md section 7.3): "14.30 WIB", WITA or WIT by
# TIME_ZONE, the office's.
DATETIME_FORMAT = "j F Y, H.i T"
SHORT_DATE_FORMAT = "d-m-Y"
TIME_FORMAT = "H.i T"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d/%m/%y"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
