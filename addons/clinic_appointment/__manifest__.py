{
    "name": "Clinic Video Appointments",
    "summary": "Patients book video appointments on a public page; pros see their "
    "day and start the call",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["clinic_lobby", "calendar", "resource"],
    "external_dependencies": {"python": ["vobject"]},
    "data": [
        "security/ir.model.access.csv",
        "security/clinic_appointment_security.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "views/clinic_appointment_type_views.xml",
        "views/clinic_appointment_views.xml",
        "views/clinic_appointment_menus.xml",
        "views/clinic_appointment_templates.xml",
    ],
    "demo": [
        "demo/clinic_appointment_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_appointment/static/src/**/*",
        ],
    },
    "installable": True,
}
