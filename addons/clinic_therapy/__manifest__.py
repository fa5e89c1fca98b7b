{
    "name": "Clinic Group Therapy",
    "summary": "Group therapy sessions: patients' sessions and assessments, the session's "
    "chat as a live action log, group video, research capture with consent",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["clinic_lobby", "clinic_auth_sms", "survey"],
    "data": [
        "security/clinic_therapy_security.xml",
        "security/ir.model.access.csv",
        "views/clinic_therapy_session_views.xml",
        "views/clinic_therapy_action_views.xml",
        "views/clinic_therapy_menus.xml",
        "views/clinic_therapy_templates.xml",
    ],
    "demo": [
        "demo/clinic_therapy_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_therapy/static/src/**/*",
        ],
    },
    "installable": True,
}
