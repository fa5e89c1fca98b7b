{
    "name": "Clinic Veterinary Tele-consultation",
    "summary": "A directory of vets, their weekly timetable, reservations by pet owners "
    "logged in by SMS, photo pre-screening and the online room",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["clinic_appointment", "clinic_auth_sms"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/clinic_vet_security.xml",
        "views/clinic_vet_views.xml",
        "views/res_config_settings_views.xml",
        "views/clinic_vet_menus.xml",
        "views/clinic_vet_templates.xml",
    ],
    "demo": [
        "demo/clinic_vet_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_vet/static/src/**/*",
        ],
    },
    "installable": True,
}
