-- The local stack's data plane has its own database, as every data plane does.
CREATE DATABASE orvanta_dataplane OWNER orvanta;
