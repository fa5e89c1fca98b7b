{
    "name": "Clinic Waiting-room Insight",
    "summary": "The waiting patient's place in line and expected wait, a live board and "
    "reports of waits, visits and abandonment for managers",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["clinic_lobby", "clinic_appointment"],
    "data": [
        "security/ir.model.access.csv",
        "views/clinic_insight_views.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_insight/static/src/waiting/**/*",
        ],
        "web.assets_backend": [
            "clinic_insight/static/src/board/**/*",
        ],
    },
    "installable": True,
}
