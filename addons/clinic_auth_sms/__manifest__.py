{
    "name": "Clinic Patient Login by SMS",
    "summary": "Patients log in with their phone number, last name and a 6-digit code sent by SMS",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-telehealth/clinic-telehealth",
    "author": "Clinic Telehealth contributors",
    "maintainers": ["clinic-telehealth"],
    "license": "LGPL-3",
    "external_dependencies": {
        "python": ["phonenumbers", "twilio"],
    },
    "depends": ["base_setup", "portal", "sms", "phone_validation"],
    "data": [
        "security/ir.model.access.csv",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/res_partner_views.xml",
        "views/clinic_auth_sms_challenge_views.xml",
        "views/res_config_settings_views.xml",
        "views/clinic_auth_sms_templates.xml",
    ],
    "demo": [
        "demo/res_partner_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_auth_sms/static/src/**/*",
        ],
    },
    "installable": True,
}
