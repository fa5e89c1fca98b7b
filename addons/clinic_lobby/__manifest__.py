{
    "name": "Clinic Walk-in Lobby",
    "summary": "Virtual waiting rooms: patients check in without an account, "
    "pros take them from a live queue",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["clinic_meeting"],
    "data": [
        "security/ir.model.access.csv",
        "security/clinic_lobby_security.xml",
        "data/ir_cron_data.xml",
        "views/clinic_lobby_views.xml",
        "views/clinic_lobby_menus.xml",
        "views/clinic_lobby_templates.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [
        "demo/clinic_lobby_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_lobby/static/src/**/*",
        ],
    },
    "installable": True,
}
