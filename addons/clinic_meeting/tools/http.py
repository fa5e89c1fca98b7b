def private_response(response):
    """Mark a page that holds a patient's data: never cached, its address
    (which may carry a secret) never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
