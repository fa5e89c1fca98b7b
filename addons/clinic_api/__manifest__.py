{
    "name": "Clinic Partner API",
    "summary": "A JSON API under /api/v1 with API keys, an OpenAPI document and signed "
    "webhooks, for practice-management systems and booking widgets",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "depends": ["clinic_lobby", "clinic_visit", "clinic_appointment"],
    "data": [
        "security/clinic_api_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/clinic_api_webhook_views.xml",
        "views/clinic_api_key_views.xml",
        "views/clinic_api_templates.xml",
        "views/clinic_api_menus.xml",
    ],
    "demo": ["demo/clinic_api_demo.xml"],
    "installable": True,
}
