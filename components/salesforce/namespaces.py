"""The XML namespaces the Salesforce clients speak, written once."""

METADATA_NS = "http://soap.sforce.com/2006/04/metadata"  # Metadata API (deploy, readMetadata, package.xml)
PARTNER_NS = "urn:partner.soap.sforce.com"  # partner API login()
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"  # SOAP 1.1 envelope
XSD_NS = "http://www.w3.org/2001/XMLSchema"  # the WSDL's schema
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"  # xsi:type, xsi:nil
