{
    "name": "Clinic One-to-one Visits",
    "summary": "Secure video visits with a link per participant, live device approval, "
    "a medical questionnaire, documents, and complete destruction",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["clinic_lobby", "sms"],
    "data": [
        "security/ir.model.access.csv",
        "security/clinic_visit_security.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/clinic_visit_views.xml",
        "views/clinic_visit_question_views.xml",
        "views/clinic_visit_device_views.xml",
        "views/clinic_visit_stat_views.xml",
        "views/clinic_visit_menus.xml",
        "views/clinic_visit_templates.xml",
    ],
    "demo": [
        "demo/clinic_visit_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_visit/static/src/**/*",
        ],
    },
    "installable": True,
}
