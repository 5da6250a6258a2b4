DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"]
